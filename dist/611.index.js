export const id = 611;
export const ids = [611,425];
export const modules = {

/***/ 15140:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   C5: () => (/* binding */ parseContentRange),
/* harmony export */   sj: () => (/* binding */ fetchRange)
/* harmony export */ });
/* unused harmony export displayUrl */
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(83916);
/* harmony import */ var _http__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(915);
/* harmony import */ var _http_failures__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(14559);
/**
 * Byte ranges of a file behind a URL (a layer version's pre-signed `Content.Location`), through the
 * action's one HTTP client (src/http.ts: proxies, retries, stall timeout). The URL's query holds a
 * signature: it never reaches a message.
 */



/** `bytes 0-99/1234` → start and total; undefined for anything else (an unsatisfied range included). */
function parseContentRange(header) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
    return m ? { start: Number(m[1]), total: Number(m[3]) } : undefined;
}
/** A URL as it may be logged: a pre-signed query carries a credential and a signature. */
function displayUrl(url) {
    try {
        const u = new URL(url);
        return `${u.origin}${u.pathname}`;
    }
    catch {
        return '(a URL that does not parse)';
    }
}
/** A server that ignores `Range` answers 200 with the whole file, which is used as it is. */
async function fetchRange(url, range, http = new _http__WEBPACK_IMPORTED_MODULE_1__/* .HttpClient */ .Qq()) {
    const where = displayUrl(url);
    try {
        const answer = await http.get(url, { range });
        const data = answer.body;
        if (answer.status === 200)
            return { start: 0, total: data.length, data };
        const header = answer.headers['content-range'];
        const at = parseContentRange(Array.isArray(header) ? header[0] : header);
        if (at)
            return { start: at.start, total: at.total, data };
        throw new _errors__WEBPACK_IMPORTED_MODULE_0__/* .LayerActionError */ .Ic(`Could not read ${where}: HTTP ${answer.status} without a usable Content-Range`);
    }
    catch (error) {
        if (!(error instanceof _http_failures__WEBPACK_IMPORTED_MODULE_2__/* .HttpError */ .j$))
            throw error;
        const expired = error.status === 403 ? ' (a pre-signed location is valid for 10 minutes)' : '';
        throw new _errors__WEBPACK_IMPORTED_MODULE_0__/* .LayerActionError */ .Ic(`Could not read ${where}: ${error.message}${expired}`, {
            cause: error
        });
    }
}


/***/ }),

/***/ 50226:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ch: () => (/* binding */ readSbomBeside),
/* harmony export */   EK: () => (/* binding */ objectExists),
/* harmony export */   FS: () => (/* binding */ s3RangeSource),
/* harmony export */   TS: () => (/* binding */ putSbom),
/* harmony export */   Vj: () => (/* binding */ findOwnUpload),
/* harmony export */   p2: () => (/* binding */ layerKeyPrefix),
/* harmony export */   qH: () => (/* binding */ sbomKeyOf)
/* harmony export */ });
/* harmony import */ var _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(53711);
/* harmony import */ var _deliver_errors__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57150);
/* harmony import */ var _python_names__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3442);
/* harmony import */ var _http__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(915);
/* harmony import */ var _http_range__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(15140);
/* harmony import */ var _sbom__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(96425);
/**
 * What this action left in S3 beside a layer version: the zip it published from (its key
 * `<s3-prefix>/<layer>/<stamp>/<layer>.zip`, its metadata `sha256` = CodeSha256) and the SBOM beside
 * it (`.cdx.json` for `.zip`). Found again from the version's CodeSha256 and CodeSize, where the
 * version's own location cannot be read (moto answers `s3://`), and to complete a rerun.
 */






/** At most this many same-sized zips are asked for their metadata: keys are newest first. */
const HEAD_MAX = 50;
/** `<prefix>/<layer>/`, as layerObjectKey (deliver/upload.ts) lays keys out. */
function layerKeyPrefix(s3Prefix, layerName) {
    return `${[s3Prefix.replace(/^\/+|\/+$/g, ''), layerName].filter(Boolean).join('/')}/`;
}
/** The SBOM's key: the zip's key with `.cdx.json` for `.zip`. */
function sbomKeyOf(zipKey) {
    return `${zipKey.replace(/\.zip$/, '')}.cdx.json`;
}
/** An S3 call's failure, explained with the IAM action and resource it needs. */
function awsError(at, action, key, error) {
    return (0,_deliver_errors__WEBPACK_IMPORTED_MODULE_0__/* .explainAwsError */ .Ni)(error, {
        action,
        resource: action === 's3:ListBucket'
            ? `arn:${(0,_deliver_errors__WEBPACK_IMPORTED_MODULE_0__/* .partitionOf */ .iQ)(at.region)}:s3:::${at.bucket}`
            : (0,_deliver_errors__WEBPACK_IMPORTED_MODULE_0__/* .s3ObjectArn */ .pf)(at.region, at.bucket, key),
        region: at.region,
        bucket: at.bucket,
        key
    });
}
/** For `.catch()`: throws the failure explained. */
function explained(at, action, key) {
    return (error) => {
        throw awsError(at, action, key, error);
    };
}
/** The key of the zip this action uploaded with this CodeSha256 under `prefix`, newest first. */
async function findOwnUpload(at, prefix, version) {
    const candidates = [];
    let token;
    do {
        const page = await at.s3
            .send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__.ListObjectsV2Command({ Bucket: at.bucket, Prefix: prefix, ContinuationToken: token }))
            .catch(explained(at, 's3:ListBucket', prefix));
        for (const o of page.Contents ?? [])
            if (o.Key?.endsWith('.zip') &&
                (version.codeSize === undefined || o.Size === version.codeSize))
                candidates.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (const key of candidates.sort().reverse().slice(0, HEAD_MAX)) {
        const head = await at.s3
            .send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__.HeadObjectCommand({ Bucket: at.bucket, Key: key }))
            .catch(explained(at, 's3:GetObject', key));
        if (head.Metadata?.sha256 === version.codeSha256)
            return key;
    }
    return undefined;
}
/** Ranges of an S3 object (GetObject with Range). */
function s3RangeSource(at, key) {
    return async (range) => {
        const r = await at.s3
            .send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__.GetObjectCommand({ Bucket: at.bucket, Key: key, Range: (0,_http__WEBPACK_IMPORTED_MODULE_1__/* .rangeHeader */ .Hq)(range) }))
            .catch(explained(at, 's3:GetObject', key));
        const data = Buffer.from(await (r.Body?.transformToByteArray() ?? new Uint8Array()));
        const where = (0,_http_range__WEBPACK_IMPORTED_MODULE_2__/* .parseContentRange */ .C5)(r.ContentRange);
        return where ? { ...where, data } : { start: 0, total: data.length, data };
    };
}
/**
 * The packages listed by the SBOM beside a zip, when it is there and describes that very zip (its
 * CodeSha256 property); undefined otherwise.
 */
async function readSbomBeside(at, zipKey, codeSha256) {
    let text;
    try {
        const r = await at.s3.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__.GetObjectCommand({ Bucket: at.bucket, Key: sbomKeyOf(zipKey) }));
        text = (await r.Body?.transformToString('utf8')) ?? '';
    }
    catch {
        // no SBOM (sbom: false, or an older run): the zip itself is read instead
        return undefined;
    }
    try {
        const bom = JSON.parse(text);
        const property = (name) => bom.metadata?.component?.properties?.find(p => p.name === name)?.value;
        if (property(_sbom__WEBPACK_IMPORTED_MODULE_3__/* .PROPERTY */ .sr.codeSha256) !== codeSha256)
            return undefined;
        const packages = (bom.components ?? [])
            .filter(c => typeof c.name === 'string' && typeof c.version === 'string')
            .map(c => ({ name: (0,_python_names__WEBPACK_IMPORTED_MODULE_5__/* .normalizeProject */ .x)(c.name), version: c.version }));
        const unzipped = Number(property(_sbom__WEBPACK_IMPORTED_MODULE_3__/* .PROPERTY */ .sr.unzippedSize));
        return { packages, ...(Number.isFinite(unzipped) ? { unzippedSize: unzipped } : {}) };
    }
    catch {
        return undefined;
    }
}
/** Whether `key` exists (a HeadObject that fails for any reason other than 404 throws). */
async function objectExists(at, key) {
    try {
        await at.s3.send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__.HeadObjectCommand({ Bucket: at.bucket, Key: key }));
        return true;
    }
    catch (error) {
        const why = awsError(at, 's3:GetObject', key, error);
        if (why.kind === 'not-found')
            return false;
        throw why;
    }
}
/** Writes the SBOM at `key`. */
async function putSbom(at, key, json) {
    await at.s3
        .send(new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_4__.PutObjectCommand({
        Bucket: at.bucket,
        Key: key,
        Body: json,
        ContentType: 'application/vnd.cyclonedx+json'
    }))
        .catch(explained(at, 's3:PutObject', key));
}


/***/ }),

/***/ 96425:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  sr: () => (/* binding */ PROPERTY),
  layerSbom: () => (/* binding */ layerSbom)
});

// UNUSED EXPORTS: pypiPurl, uuidV5

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/enums/index.js
var enums = __webpack_require__(84439);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/models/index.js
var models = __webpack_require__(50320);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/serialize/index.node.js
var index_node = __webpack_require__(51248);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/spec/index.js
var spec = __webpack_require__(94321);
// EXTERNAL MODULE: ./node_modules/packageurl-js/index.js
var packageurl_js = __webpack_require__(87091);
// EXTERNAL MODULE: ./src/constants.ts
var constants = __webpack_require__(27242);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/contrib/license/index.node.js
var license_index_node = __webpack_require__(84909);
// EXTERNAL MODULE: ./node_modules/spdx-expression-parse/index.js
var spdx_expression_parse = __webpack_require__(93326);
var spdx_expression_parse_default = /*#__PURE__*/__webpack_require__.n(spdx_expression_parse);
;// CONCATENATED MODULE: ./src/contents/licenses.ts
/**
 * A distribution's declared license as CycloneDX licenses: `License-Expression` (PEP 639), else a
 * short `License` field, else the license classifiers, else the `License` text itself. The
 * library's LicenseFactory decides between an SPDX id, an SPDX expression and a plain name.
 */




const factory = new license_index_node.Factories.LicenseFactory(expression => {
    spdx_expression_parse_default()(expression);
});
/**
 * License classifiers that name exactly one SPDX license (PEP 639, "Mapping License Classifiers to
 * SPDX Identifiers"): `Apache Software License` or `BSD License` name no version, so they stay names.
 */
const CLASSIFIER_SPDX = {
    'MIT License': 'MIT',
    'MIT No Attribution License (MIT-0)': 'MIT-0',
    'ISC License (ISCL)': 'ISC',
    'Python Software Foundation License': 'PSF-2.0',
    'GNU General Public License v2 (GPLv2)': 'GPL-2.0-only',
    'GNU General Public License v2 or later (GPLv2+)': 'GPL-2.0-or-later',
    'GNU General Public License v3 (GPLv3)': 'GPL-3.0-only',
    'GNU General Public License v3 or later (GPLv3+)': 'GPL-3.0-or-later',
    'GNU Lesser General Public License v3 (LGPLv3)': 'LGPL-3.0-only',
    'GNU Lesser General Public License v3 or later (LGPLv3+)': 'LGPL-3.0-or-later',
    'GNU Affero General Public License v3': 'AGPL-3.0-only',
    'GNU Affero General Public License v3 or later (AGPLv3+)': 'AGPL-3.0-or-later',
    'Mozilla Public License 2.0 (MPL 2.0)': 'MPL-2.0',
    'Eclipse Public License 2.0 (EPL-2.0)': 'EPL-2.0',
    'Boost Software License 1.0 (BSL-1.0)': 'BSL-1.0',
    'The Unlicense (Unlicense)': 'Unlicense',
    'zlib/libpng License': 'Zlib',
    'PostgreSQL License': 'PostgreSQL',
    'Universal Permissive License (UPL)': 'UPL-1.0',
    'CC0 1.0 Universal (CC0 1.0) Public Domain Dedication': 'CC0-1.0'
};
/** A `License` field longer than this, or on more than one line, is the license's text, not its name. */
const NAME_MAX = 100;
function declaredLicenses(m) {
    const declared = (l) => {
        l.acknowledgement = enums.LicenseAcknowledgement.Declared;
        return l;
    };
    if (m.licenseExpression)
        return [declared(factory.makeFromString(m.licenseExpression))];
    const license = m.license?.trim();
    if (license && !license.includes('\n') && license.length <= NAME_MAX)
        return [declared(factory.makeFromString(license))];
    const classified = [
        ...new Set(m.classifiers
            .filter(c => c.startsWith('License :: '))
            .map(c => c.split('::').pop()?.trim() ?? '')
            .filter(name => name !== '' && name !== 'OSI Approved'))
    ];
    if (classified.length > 0)
        return classified.map(name => declared(CLASSIFIER_SPDX[name]
            ? factory.makeSpdxLicense(CLASSIFIER_SPDX[name])
            : factory.makeNamedLicense(name)));
    if (license)
        return [
            declared(new models.NamedLicense(`declared license of ${m.name}`, { text: new models.Attachment(license) }))
        ];
    return [];
}

;// CONCATENATED MODULE: ./src/contents/sbom.ts
/**
 * The layer's CycloneDX 1.6 SBOM, made with the CycloneDX project's own library: the layer as the
 * subject, one component per distribution in the zip (purl, the wheel's SHA-256, the declared
 * license), the dependency graph as resolved for the target. No clock: the same layer gives the
 * same bytes, its serial number a UUID v5 of what the document says.
 */








/** Property names of this action (CycloneDX property taxonomy: a namespace of one's own). */
const PROPERTY = {
    runtime: `${constants/* ACTION_NAME */.px}:runtime`,
    architecture: `${constants/* ACTION_NAME */.px}:architecture`,
    codeSha256: `${constants/* ACTION_NAME */.px}:code-sha256`,
    codeSize: `${constants/* ACTION_NAME */.px}:code-size`,
    unzippedSize: `${constants/* ACTION_NAME */.px}:unzipped-size`,
    wheel: `${constants/* ACTION_NAME */.px}:wheel`
};
/** `pkg:pypi/<PEP 503 name>@<version>` */
function pypiPurl(key, version) {
    return new packageurl_js.PackageURL('pypi', undefined, key, version, undefined, undefined).toString();
}
/** The SBOM as the JSON text written to `<layer>.cdx.json`. */
function layerSbom(subject, packages, origins, graph) {
    const layer = new models.Component(enums.ComponentType.Library, subject.layerName, {
        bomRef: subject.layerName,
        version: subject.version,
        hashes: new models.HashDictionary([
            [enums.HashAlgorithm['SHA-256'], Buffer.from(subject.codeSha256, 'base64').toString('hex')]
        ]),
        properties: properties([
            [PROPERTY.runtime, subject.runtime],
            [PROPERTY.architecture, subject.architecture],
            [PROPERTY.codeSha256, subject.codeSha256],
            [PROPERTY.codeSize, String(subject.codeSize)],
            [PROPERTY.unzippedSize, String(subject.unzippedSize)]
        ])
    });
    const components = new Map();
    for (const p of packages) {
        const purl = pypiPurl(p.key, p.metadata.version);
        const origin = origins.get(p.key);
        const component = new models.Component(enums.ComponentType.Library, p.metadata.name, {
            bomRef: purl,
            version: p.metadata.version,
            purl,
            ...(origin
                ? {
                    hashes: new models.HashDictionary([[enums.HashAlgorithm['SHA-256'], origin.sha256]]),
                    properties: properties([[PROPERTY.wheel, origin.wheel]])
                }
                : {})
        });
        for (const license of declaredLicenses(p.metadata))
            component.licenses.add(license);
        components.set(p.key, component);
    }
    for (const [key, component] of components) {
        for (const dependency of graph.dependencies.get(key) ?? []) {
            const target = components.get(dependency);
            if (target)
                component.dependencies.add(target.bomRef);
        }
        // a distribution nothing in the layer requires is there because the layer asked for it
        const required = [...graph.dependencies.values()].some(d => d.includes(key));
        if (graph.roots.has(key) || !required)
            layer.dependencies.add(component.bomRef);
    }
    const tool = new models.Component(enums.ComponentType.Application, constants/* ACTION_NAME */.px, {
        version: subject.toolVersion
    });
    const bom = new models.Bom({ metadata: new models.Metadata({ component: layer, tools: new models.Tools() }) });
    bom.metadata.tools.components.add(tool);
    for (const component of components.values())
        bom.components.add(component);
    const serializer = new index_node.JsonSerializer(new index_node.JSON.Normalize.Factory(spec.Spec1dot6));
    const serialize = () => `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
    // the serial number names the document's content: the same content, the same number
    bom.serialNumber = `urn:uuid:${uuidV5(serialize())}`;
    return serialize();
}
function properties(pairs) {
    return new models.PropertyRepository(pairs.map(([name, value]) => new models.Property(name, value)));
}
/** The RFC 4122 URL namespace. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
/** RFC 4122 §4.3 name-based UUID, SHA-1 (version 5). */
function uuidV5(name, namespace = URL_NAMESPACE) {
    const hash = (0,external_node_crypto_.createHash)('sha1')
        .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
        .update(name, 'utf8')
        .digest();
    hash[6] = (hash[6] & 0x0f) | 0x50;
    hash[8] = (hash[8] & 0x3f) | 0x80;
    const hex = hash.subarray(0, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}


/***/ }),

/***/ 77930:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  yO: () => (/* binding */ clientConfig),
  hP: () => (/* binding */ createClients)
});

// UNUSED EXPORTS: DEFAULT_MAX_ATTEMPTS, USER_AGENT_NAME, s3EndpointFromEnv

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-lambda/dist-cjs/index.js
var dist_cjs = __webpack_require__(71696);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-s3/dist-cjs/index.js
var client_s3_dist_cjs = __webpack_require__(53711);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-ssm/dist-cjs/index.js
var client_ssm_dist_cjs = __webpack_require__(34736);
// EXTERNAL MODULE: ./node_modules/@smithy/core/dist-cjs/submodules/retry/index.js
var retry = __webpack_require__(23609);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(37067);
var external_node_http_default = /*#__PURE__*/__webpack_require__.n(external_node_http_);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(44708);
var external_node_https_default = /*#__PURE__*/__webpack_require__.n(external_node_https_);
// EXTERNAL MODULE: ./node_modules/http-proxy-agent/dist/index.js
var dist = __webpack_require__(81970);
// EXTERNAL MODULE: ./node_modules/https-proxy-agent/dist/index.js
var https_proxy_agent_dist = __webpack_require__(3669);
// EXTERNAL MODULE: ./src/credentials.ts
var credentials = __webpack_require__(33029);
// EXTERNAL MODULE: ./src/http.ts + 1 modules
var http = __webpack_require__(915);
// EXTERNAL MODULE: ./src/proxies.ts
var proxies = __webpack_require__(19167);
;// CONCATENATED MODULE: ./src/aws-network.ts
/**
 * The road of the AWS SDK's own requests (S3, Lambda, SSM, CodeArtifact). The SDK for JavaScript v3
 * reads no proxy variable: its developer guide ("Configure proxies for Node.js") gives a proxy
 * agent to NodeHttpHandler as `httpAgent` and `httpsAgent`. The AWS CLI and botocore, which the
 * job's other steps use, read HTTPS_PROXY, HTTP_PROXY and NO_PROXY; so does this, with the rules
 * of ./proxies.ts (proxyFor with the environment alone: pip's --proxy and PIP_PROXY are pip's, not
 * AWS's; the same variables as botocore, ALL_PROXY and NO_PROXY's CIDR blocks on top, as requests).
 *
 * The choice is made per request, by its scheme, host and port, so NO_PROXY holds for whatever
 * endpoint a client reaches: regional, AWS_ENDPOINT_URL*, a bucket's virtual host. The agents keep
 * NodeHttpHandler's own settings (keep-alive, 50 sockets per host); the SDK's retries are
 * untouched, a refused or failed proxy being a connection error like any other.
 *
 * A TLS-intercepting proxy's CA: AWS_CA_BUNDLE, as the AWS CLI reads it, replaces the default
 * roots (botocore's verify=<path>); NODE_EXTRA_CA_CERTS, which Node reads at start-up, is added
 * back, since a `ca` given to an agent replaces it too (as ./http.ts does for pip's bundle).
 * Proxy credentials (`http://user:pass@proxy:3128`) are registered with the runner's masking.
 */







/** NodeHttpHandler's own agent settings. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 50 };
/**
 * An agent of one scheme that hands each request to the direct agent or to the proxy agent the
 * environment names for its URL. It does so in addRequest, which the request calls from its
 * constructor, before anything is written: http-proxy-agent rewrites the path to the absolute
 * form there.
 */
class RoutingAgent extends (external_node_http_default()).Agent {
    secure;
    env;
    tls;
    direct;
    proxied = new Map();
    constructor(secure, env, tls) {
        super(AGENT_OPTIONS);
        this.secure = secure;
        this.env = env;
        this.tls = tls;
        // the request checks its scheme against the agent's
        Object.assign(this, secure ? { protocol: 'https:', defaultPort: 443 } : {});
        this.direct = secure
            ? new (external_node_https_default()).Agent({ ...AGENT_OPTIONS, ...tls })
            : new (external_node_http_default()).Agent(AGENT_OPTIONS);
    }
    /** The agent for one request: through the proxy proxyFor names, or direct. */
    agentFor(host, port) {
        const scheme = this.secure ? 'https:' : 'http:';
        const hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
        const proxy = (0,proxies/* proxyFor */.iJ)(`${scheme}//${hostname}${port ? `:${port}` : ''}/`, this.env);
        if (!proxy)
            return this.direct;
        const url = (0,proxies/* proxyUrl */.sd)(proxy);
        let agent = this.proxied.get(url);
        if (!agent) {
            agent = this.secure
                ? new https_proxy_agent_dist.HttpsProxyAgent(url, { ...AGENT_OPTIONS, ...this.tls })
                : new dist.HttpProxyAgent(url, { ...AGENT_OPTIONS, ...this.tls });
            this.proxied.set(url, agent);
        }
        return agent;
    }
    addRequest(req, options) {
        const agent = this.agentFor(req.host, options.port);
        agent.addRequest(req, {
            ...options,
            ...this.tls,
            secureEndpoint: this.secure
        });
    }
    destroy() {
        this.direct.destroy();
        for (const agent of this.proxied.values())
            agent.destroy();
        super.destroy();
    }
}
/** The proxy URLs the environment names, for either scheme (NO_PROXY aside). */
function proxiesNamed(env) {
    return Object.entries(env)
        .filter(([name, value]) => !!value && /^(https?|all)_proxy$/i.test(name))
        .map(([, value]) => (0,proxies/* proxyUrl */.sd)(value));
}
/**
 * NodeHttpHandler's options for the SDK's clients: agents that take the environment's proxies and
 * AWS_CA_BUNDLE; undefined when neither is set, so the SDK keeps its own agents.
 */
function awsRequestHandler(env = process.env) {
    const proxies = proxiesNamed(env);
    if (proxies.length === 0 && !env.AWS_CA_BUNDLE)
        return undefined;
    new credentials/* Redactor */.pO(proxies).register();
    const ca = [env.AWS_CA_BUNDLE, env.AWS_CA_BUNDLE && env.NODE_EXTRA_CA_CERTS]
        .filter((f) => !!f)
        .map(f => (0,http/* readPem */.Je)(f, 'certificate bundle (AWS_CA_BUNDLE or NODE_EXTRA_CA_CERTS)'));
    const tls = ca.length > 0 ? { ca } : {};
    return {
        httpAgent: new RoutingAgent(false, env, tls),
        httpsAgent: new RoutingAgent(true, env, tls)
    };
}

;// CONCATENATED MODULE: ./src/deliver/clients.ts
/**
 * The S3, Lambda and SSM clients of one region, and the settings every AWS client of the action is
 * made with (CodeArtifact's too, ../resolve/codeartifact.ts). Credentials, endpoints (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_LAMBDA, a profile's endpoint_url) and retry settings come
 * from the SDK's own resolution, so whatever configured the job's AWS access configures this too;
 * the proxy variables and AWS_CA_BUNDLE, which the SDK does not read, from ../aws-network.ts.
 */





const DEFAULT_MAX_ATTEMPTS = 5;
const USER_AGENT_NAME = 'layer-action';
/** The endpoint the SDK will use for S3 from the environment, if one is configured there. */
function s3EndpointFromEnv(env = process.env) {
    if (/^(true|1)$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? ''))
        return undefined;
    return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}
/** The configuration every AWS client of the action is made with (one road, one retry policy). */
function clientConfig(o) {
    const env = o.env ?? process.env;
    // AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, when the workflow sets them, win over our defaults
    const fromEnv = Number.parseInt(env.AWS_MAX_ATTEMPTS ?? '', 10);
    const maxAttempts = o.maxAttempts ?? (fromEnv > 0 ? fromEnv : DEFAULT_MAX_ATTEMPTS);
    const requestHandler = awsRequestHandler(env);
    return {
        ...(o.region ? { region: o.region } : {}),
        customUserAgent: o.userAgent ?? USER_AGENT_NAME,
        maxAttempts,
        ...(env.AWS_RETRY_MODE ? {} : { retryMode: 'standard' }),
        ...(o.retryDelay
            ? { retryStrategy: new retry.ConfiguredRetryStrategy(maxAttempts, o.retryDelay) }
            : {}),
        ...(requestHandler ? { requestHandler } : {})
    };
}
function createClients(o) {
    const env = o.env ?? process.env;
    const common = clientConfig(o);
    return {
        s3: new client_s3_dist_cjs.S3Client({
            ...common,
            // emulators and S3-compatible stores rarely resolve <bucket>.<host>; AWS itself needs no change
            forcePathStyle: s3EndpointFromEnv(env) !== undefined,
            // a bucket in another region is an error to explain, not to follow: Lambda needs it in-region
            followRegionRedirects: false
        }),
        lambda: new dist_cjs/* LambdaClient */.Nox(common),
        ssm: new client_ssm_dist_cjs/* SSMClient */.jBj(common)
    };
}


/***/ }),

/***/ 57150:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ni: () => (/* binding */ explainAwsError),
/* harmony export */   S: () => (/* binding */ layerArnFor),
/* harmony export */   iQ: () => (/* binding */ partitionOf),
/* harmony export */   pf: () => (/* binding */ s3ObjectArn)
/* harmony export */ });
/* unused harmony export AwsError */
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(83916);
/* harmony import */ var _http_failures__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(14559);
/**
 * AWS errors people meet when publishing a layer, turned into messages that say what to do.
 * The SDK has already retried throttling and 5xx by the time an error reaches here.
 */


/** A failed AWS call, explained. `kind` lets callers (and tests) tell the cases apart. */
class AwsError extends _errors__WEBPACK_IMPORTED_MODULE_0__/* .LayerActionError */ .Ic {
    kind;
    code;
    constructor(message, kind, code, options) {
        super(message, options);
        this.kind = kind;
        this.code = code;
    }
}
function partitionOf(region) {
    if (region.startsWith('cn-'))
        return 'aws-cn';
    if (region.startsWith('us-gov-'))
        return 'aws-us-gov';
    if (region.startsWith('eusc-'))
        return 'aws-eusc';
    if (region.startsWith('us-iso-'))
        return 'aws-iso';
    if (region.startsWith('us-isob-'))
        return 'aws-iso-b';
    return 'aws';
}
function s3ObjectArn(region, bucket, key) {
    return `arn:${partitionOf(region)}:s3:::${bucket}/${key}`;
}
/** The layer's ARN; the account is unknown before the first call succeeds, so a placeholder. */
function layerArnFor(region, layerName, account = '<account-id>') {
    return `arn:${partitionOf(region)}:lambda:${region}:${account}:layer:${layerName}`;
}
function fieldsOf(error) {
    const e = (typeof error === 'object' && error !== null ? error : {});
    const metadata = (e.$metadata ?? {});
    const response = (e.$response ?? {});
    const str = (v) => (typeof v === 'string' && v ? v : undefined);
    return {
        name: str(e.Code) ?? str(e.name) ?? str(e.code) ?? 'Error',
        message: (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(error),
        status: metadata.httpStatusCode ?? response.statusCode,
        attempts: metadata.attempts,
        headers: Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
        region: str(e.Region),
        endpoint: str(e.Endpoint),
        syscall: str(e.code)
    };
}
/** Lambda reports S3 failures of PublishLayerVersion as `… S3 Error Code: NoSuchBucket. …`. */
function s3CodeInLambdaMessage(message) {
    return /S3 Error Code: (\w+)/.exec(message)?.[1];
}
/** Where S3 says the bucket really is: the header, the error's Region, its Endpoint, or the text. */
function bucketRegionOf(f) {
    const fromEndpoint = f.endpoint && /s3[.-]([a-z]{2}(?:-[a-z]+)+-\d)\./.exec(f.endpoint)?.[1];
    const fromText = /expecting '([a-z0-9-]+)'/.exec(f.message)?.[1] ??
        /bucket is in this region: ([a-z0-9-]+)/i.exec(f.message)?.[1];
    return f.headers['x-amz-bucket-region'] ?? f.region ?? (fromEndpoint || undefined) ?? fromText;
}
const THROTTLING = new Set([
    'TooManyRequestsException',
    'ThrottlingException',
    'Throttling',
    'ThrottledException',
    'RequestLimitExceeded',
    'SlowDown',
    'RequestThrottled',
    'RequestThrottledException',
    'ProvisionedThroughputExceededException'
]);
const CREDENTIALS = new Set([
    'InvalidAccessKeyId',
    'SignatureDoesNotMatch',
    'ExpiredToken',
    'ExpiredTokenException',
    'InvalidClientTokenId',
    'UnrecognizedClientException',
    'InvalidSignatureException',
    'CredentialsProviderError',
    'TokenRefreshRequired'
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden']);
const WRONG_REGION = new Set([
    'PermanentRedirect',
    'AuthorizationHeaderMalformed',
    'IllegalLocationConstraintException'
]);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);
function attemptsText(f) {
    return f.attempts && f.attempts > 1 ? ` after ${f.attempts} attempts` : '';
}
/** AccessDeniedException names the resource ARN, account included: fill in our placeholder. */
function withAccount(resource, message) {
    const account = /arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):/.exec(message)?.[1];
    return account ? resource.replace('<account-id>', account) : resource;
}
/** Turns whatever an SDK call threw into an AwsError whose message says what to do. */
function explainAwsError(error, given) {
    if (error instanceof AwsError)
        return error;
    const f = fieldsOf(error);
    const ctx = { ...given, resource: withAccount(given.resource, f.message) };
    const s3Code = s3CodeInLambdaMessage(f.message);
    const code = s3Code ?? f.name;
    const said = `(AWS said: ${f.name}: ${f.message})`;
    const make = (kind, message) => new AwsError(`${message} ${said}`, kind, code, { cause: error });
    const bucket = ctx.bucket ?? '(bucket)';
    // an S3 failure inside PublishLayerVersion: Lambda read the object with the caller's credentials
    const s3ctx = s3Code && ctx.bucket && ctx.key
        ? { ...ctx, action: 's3:GetObject', resource: s3ObjectArn(ctx.region, ctx.bucket, ctx.key) }
        : ctx;
    if (code === 'NoSuchBucket') {
        return make('no-such-bucket', `S3 bucket '${bucket}' does not exist (looked for it from ${ctx.region}). ` +
            `Create it in ${ctx.region}, or set the 'bucket' input to an existing bucket in that region.`);
    }
    const bucketRegion = bucketRegionOf(f);
    if (WRONG_REGION.has(code) ||
        (f.status === 301 && ctx.action.startsWith('s3:')) ||
        (bucketRegion !== undefined && bucketRegion !== ctx.region && code !== 'AccessDenied')) {
        const where = bucketRegion ? `in ${bucketRegion}` : 'in another region';
        return make('wrong-region', `S3 bucket '${bucket}' is ${where}, not in ${ctx.region}. Lambda publishes a layer only from a ` +
            `bucket in the layer's own region: use a bucket in ${ctx.region}` +
            (bucketRegion ? `, or set 'region' to ${bucketRegion}` : '') +
            `; with 'regions', put '{region}' in 'bucket' (e.g. my-layers-{region}) to use one bucket per region.`);
    }
    if (ACCESS_DENIED.has(code) || (f.status === 403 && !CREDENTIALS.has(code))) {
        return make('access-denied', `Access denied: these credentials may not ${s3ctx.action} on ${s3ctx.resource}. ` +
            `Allow '${s3ctx.action}' on that resource in the policy of the role the workflow assumes ` +
            `(the README lists the minimal policy).`);
    }
    if (CREDENTIALS.has(code) || /Could not load credentials/i.test(f.message)) {
        return make('credentials', `AWS did not accept the credentials for ${ctx.action}. Configure them before this step, e.g. ` +
            `aws-actions/configure-aws-credentials with an OIDC role (and 'permissions: id-token: write'), ` +
            `and check they have not expired.`);
    }
    if (THROTTLING.has(code) || f.status === 429) {
        return make('throttled', `AWS throttled ${ctx.action}${attemptsText(f)}, retrying with backoff did not get through. ` +
            `Re-run the job later; if many jobs publish at once, limit them (strategy.max-parallel).`);
    }
    if ((f.status !== undefined && f.status >= 500) ||
        /^(ServiceException|InternalError|ServiceUnavailable)$/.test(code)) {
        return make('server', `${ctx.action} on ${ctx.resource} failed with a server error` +
            `${f.status ? ` (HTTP ${f.status})` : ''}${attemptsText(f)}. This is usually passing: re-run the job.`);
    }
    if (f.syscall && NETWORK.has(f.syscall)) {
        return make('network', `Could not reach AWS for ${ctx.action} in ${ctx.region} (${f.syscall}). Check the runner's network, ` +
            `its proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), ` +
            `and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_LAMBDA if you set them.`);
    }
    if (f.syscall && _http_failures__WEBPACK_IMPORTED_MODULE_1__/* .UNTRUSTED_CERTIFICATE */ .LB.has(f.syscall)) {
        return make('untrusted-certificate', `The certificate presented for ${ctx.action} in ${ctx.region} is not trusted (${f.syscall}): a ` +
            `TLS-intercepting proxy, or an endpoint signed by a private CA. Point AWS_CA_BUNDLE at that ` +
            `CA's PEM bundle, as for the AWS CLI (NODE_EXTRA_CA_CERTS is added to it; ca_bundle in ` +
            `~/.aws/config is not read).`);
    }
    if (code === 'ResourceNotFoundException' || code === 'NoSuchKey' || f.status === 404) {
        return make('not-found', `${ctx.action} on ${ctx.resource}: not found.`);
    }
    return make('other', `${ctx.action} on ${ctx.resource} failed.`);
}


/***/ })

};
