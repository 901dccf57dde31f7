export const id = 478;
export const ids = [478];
export const modules = {

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


/***/ }),

/***/ 78478:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  Fleet: () => (/* binding */ Fleet)
});

// EXTERNAL MODULE: ./src/constants.ts
var constants = __webpack_require__(27242);
// EXTERNAL MODULE: ./src/deliver/clients.ts + 1 modules
var clients = __webpack_require__(77930);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/deliver/outcome.ts
var outcome = __webpack_require__(85725);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 7 modules
var core = __webpack_require__(33838);
// EXTERNAL MODULE: ./src/deliver/layers.ts
var deliver_layers = __webpack_require__(47171);
// EXTERNAL MODULE: ./src/deliver/names.ts
var names = __webpack_require__(67673);
;// CONCATENATED MODULE: ./src/deliver/provenance.ts
/**
 * The commit every published version was built from, recorded at the end of its description:
 * layer versions carry no tags, and the description is the one field the action sets that
 * ListLayerVersions returns and that lives exactly as long as the version. A user's `description`
 * is cut to leave room for the record, so the record is always there, and always last.
 */

/** A full git object name: SHA-1 (40 hex digits) or SHA-256 (64). */
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const RECORD = /(?:^| )\[commit ([0-9a-f]{40}|[0-9a-f]{64})\]$/;
/** The text appended to the description: `[commit <sha>]`; '' when `commit` is no full sha. */
function commitRecord(commit) {
    return COMMIT.test(commit) ? `[commit ${commit}]` : '';
}
/**
 * The description a version is published with: the user's (or the default) text, cut with an
 * ellipsis to fit Lambda's 256 characters, then the commit record.
 */
function describeVersion(description, commit) {
    const record = commitRecord(commit);
    const room = names/* DESCRIPTION_MAX */.Ku - (record ? record.length + 1 : 0);
    const chars = [...description.trim()];
    const text = chars.length <= room ? chars.join('') : chars.slice(0, room - 1).join('') + '…';
    return [text, record].filter(part => part !== '').join(' ');
}
/** The commit a version records in its description; undefined when it records none. */
function commitOf(description) {
    return RECORD.exec(description ?? '')?.[1];
}

;// CONCATENATED MODULE: ./src/deliver/reuse.ts

/**
 * Finds a version of the layer that holds this very zip, newest first, reading only as many pages
 * as it takes. The list carries runtimes, architecture and description but no CodeSha256, so only
 * versions with the same targets are compared, each with one GetLayerVersion (`concurrency` at a
 * time). Cost: a rerun or an unchanged build (the first candidate matches) costs one page and one
 * call; new content costs every page and one call per same-target version (keep-versions bounds both).
 */
async function findIdenticalVersion(lambda, layerName, q, o = {}) {
    const concurrency = Math.max(1, o.concurrency ?? 4);
    const search = { pages: 0, compared: 0 };
    const hinted = (v) => q.hint !== undefined && (v.Description ?? '').includes(q.hint);
    let marker;
    do {
        const page = await (0,deliver_layers/* listLayerVersionsPage */.Ef)(lambda, layerName, marker, o.pageSize);
        search.pages++;
        marker = page.next;
        search.latest ??= page.versions[0]?.Version;
        const candidates = page.versions.filter(v => v.Version !== undefined &&
            (0,deliver_layers/* sameSet */.XV)(v.CompatibleRuntimes ?? [], q.compatibleRuntimes) &&
            (0,deliver_layers/* sameSet */.XV)(v.CompatibleArchitectures ?? [], [q.architecture]) &&
            (!q.onlyHinted || hinted(v)));
        // a hint only reorders: a hinted version is still compared by its CodeSha256
        const rank = (v) => (hinted(v) ? 0 : 1);
        candidates.sort((a, b) => rank(a) - rank(b) || (b.Version ?? 0) - (a.Version ?? 0));
        for (let i = 0; i < candidates.length;) {
            // the search's first candidate alone: on a rerun or an unchanged build it is the match
            const batch = candidates.slice(i, i + (search.compared === 0 ? 1 : concurrency));
            i += batch.length;
            const infos = await Promise.all(batch.map(v => (0,deliver_layers/* getLayerVersion */.um)(lambda, layerName, v.Version ?? 0)));
            search.compared += batch.length;
            const same = infos.filter(v => v.codeSha256 === q.sha256);
            if (same.length > 0) {
                search.match = same.sort((a, b) => b.version - a.version)[0];
                return search;
            }
        }
    } while (marker);
    return search;
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/lib-storage/dist-cjs/index.js
var dist_cjs = __webpack_require__(22358);
// EXTERNAL MODULE: ./src/deliver/errors.ts
var deliver_errors = __webpack_require__(57150);
// EXTERNAL MODULE: ./src/assemble/size.ts
var assemble_size = __webpack_require__(1195);
;// CONCATENATED MODULE: ./src/deliver/upload.ts
/**
 * The layer zip into S3 under a timestamped key. lib-storage sends one PUT for a small zip and a
 * parallel multipart upload for a large one; both end as one object Lambda can read.
 */






const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Metadata travels as HTTP headers: lower-case keys, printable ASCII values (others URI-encoded). */
function headerSafe(metadata) {
    const out = {};
    for (const [k, v] of Object.entries(metadata)) {
        const key = k.toLowerCase().replace(/[^a-z0-9-]/g, '-');
        out[key] = /^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v);
    }
    return out;
}
async function uploadZip(s3, req, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const now = o.now ?? Date.now;
    const every = o.progressEveryMs ?? 5000;
    const region = o.region ?? (await s3.config.region());
    const size = (await (0,promises_.stat)(req.file)).size;
    const target = `s3://${req.bucket}/${req.key}`;
    log(`Uploading ${(0,assemble_size/* formatBytes */.z3)(size)} to ${target}`);
    const upload = new dist_cjs/* Upload */._({
        client: s3,
        params: {
            Bucket: req.bucket,
            Key: req.key,
            Body: (0,external_node_fs_.createReadStream)(req.file),
            ContentLength: size,
            ContentType: 'application/zip',
            Metadata: headerSafe({ ...req.metadata, sha256: req.sha256 })
        },
        partSize: o.partSize ?? DEFAULT_PART_SIZE,
        queueSize: o.queueSize ?? 4,
        leavePartsOnError: false
    });
    const started = now();
    let lastLine = started;
    let lastPercent = 0;
    upload.on('httpUploadProgress', p => {
        const loaded = p.loaded ?? 0;
        const total = p.total ?? size;
        const t = now();
        const percent = total > 0 ? Math.floor((loaded * 100) / total) : 100;
        // a line per interval, only when it says something new: no line per part
        if (loaded < total && t - lastLine >= every && percent > lastPercent) {
            log(`  ${percent}% (${(0,assemble_size/* formatBytes */.z3)(loaded)} of ${(0,assemble_size/* formatBytes */.z3)(total)}, ${Math.round((t - started) / 1000)} s)`);
            lastLine = t;
            lastPercent = percent;
        }
    });
    try {
        const result = await upload.done();
        const seconds = (now() - started) / 1000;
        if (seconds >= every / 1000)
            log(`Uploaded ${target} in ${seconds.toFixed(0)} s`);
        return {
            bucket: req.bucket,
            key: req.key,
            size,
            ...(result.VersionId ? { versionId: result.VersionId } : {})
        };
    }
    catch (error) {
        throw (0,deliver_errors/* explainAwsError */.Ni)(error, {
            action: 's3:PutObject',
            resource: (0,deliver_errors/* s3ObjectArn */.pf)(region, req.bucket, req.key),
            region,
            bucket: req.bucket,
            key: req.key
        });
    }
}

;// CONCATENATED MODULE: ./src/deliver/publish.ts
/**
 * Step 1 in one region: publish, or reuse. A version that already holds this zip is the result —
 * the latest (unchanged), an older one (a rollback), or the one an earlier run of this commit
 * published (a rerun, which then completes what that run left undone); else upload and publish,
 * recording the commit in the description.
 */








async function publishOrReuse(clients, req, o = {}) {
    const log = o.log ?? core/* info */.pq;
    (0,names/* validateLayerName */.jo)(req.layerName);
    const record = commitRecord(req.commit);
    // skip-unchanged: false still looks for this commit's own version, so a rerun publishes no second one
    const search = req.skipUnchanged || record
        ? await findIdenticalVersion(clients.lambda, req.layerName, {
            sha256: req.sha256,
            compatibleRuntimes: req.compatibleRuntimes,
            architecture: req.architecture,
            ...(record ? { hint: record, onlyHinted: !req.skipUnchanged } : {})
        })
        : undefined;
    if (search?.match)
        return reused(req, search, search.match, log);
    return published(clients, req, o.upload, log);
}
function reused(req, search, same, log) {
    const commit = commitOf(same.description) ?? '';
    const rerun = commit !== '' && commit === req.commit;
    const older = same.version !== search.latest;
    const cost = `${search.compared} version(s) compared, ${search.pages} page(s) listed`;
    log(rerun
        ? `Version ${same.version} of ${req.layerName} was published from this commit (${commit.slice(0, 7)}) by an earlier run: reusing it, and completing what that run left undone`
        : older
            ? `Reused version ${same.version} of ${req.layerName}: it holds this zip (CodeSha256 ${req.sha256}), nothing uploaded or published (${cost})`
            : `${req.layerName}:${same.version} already holds this zip (CodeSha256 ${req.sha256}): nothing uploaded or published`);
    return {
        region: req.region,
        published: false,
        rerun,
        commit,
        skippedReason: rerun
            ? `published from this commit by an earlier run (version ${same.version})`
            : older
                ? `reused version ${same.version} (same CodeSha256, runtimes and architecture)`
                : `unchanged: version ${same.version} has the same CodeSha256`,
        ...(older ? { reusedVersion: same.version } : {}),
        layerArn: same.layerArn,
        layerVersionArn: same.layerVersionArn,
        version: same.version,
        codeSha256: same.codeSha256,
        ...(same.codeSize !== undefined ? { codeSize: same.codeSize } : {}),
        deleted: [],
        shared: [],
        functions: [],
        changes: []
    };
}
async function published(clients, req, upload, log) {
    const { region } = req;
    const bucket = (0,names/* bucketForRegion */.UQ)(req.bucket, region);
    const uploaded = await uploadZip(clients.s3, { bucket, key: req.key, file: req.zipPath, sha256: req.sha256, metadata: req.metadata }, { ...upload, region, log });
    let layer;
    try {
        layer = await (0,deliver_layers/* publishLayerVersion */.bI)(clients.lambda, {
            layerName: req.layerName,
            bucket,
            key: req.key,
            objectVersion: uploaded.versionId,
            description: describeVersion(req.description, req.commit),
            compatibleRuntimes: req.compatibleRuntimes,
            architecture: req.architecture,
            licenseInfo: req.licenseInfo
        });
    }
    catch (error) {
        const where = `s3://${bucket}/${req.key}`;
        throw new outcome/* DeliveryError */.VE(`${(0,errors/* messageOf */.bD)(error)} The zip was uploaded and left at ${where}, but no layer version uses ` +
            `it: delete it (aws s3 rm ${where}) unless you mean to publish from it by hand.`, region, undefined, { cause: error });
    }
    log(`Published ${layer.layerVersionArn}`);
    if (layer.codeSha256 && layer.codeSha256 !== req.sha256) {
        core/* warning */.$e(`Lambda reports CodeSha256 ${layer.codeSha256} for ${layer.layerVersionArn}, ` +
            `but the zip's is ${req.sha256}: the object changed between upload and publish?`);
    }
    return {
        region,
        published: true,
        rerun: false,
        commit: req.commit,
        ...layer,
        s3: { bucket, key: req.key, ...(uploaded.versionId ? { versionId: uploaded.versionId } : {}) },
        deleted: [],
        shared: [],
        functions: [],
        changes: [`published version ${layer.version}`]
    };
}

// EXTERNAL MODULE: ./src/deliver/regions.ts
var deliver_regions = __webpack_require__(5924);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-lambda/dist-cjs/index.js
var client_lambda_dist_cjs = __webpack_require__(71696);
;// CONCATENATED MODULE: ./src/deliver/share.ts
/**
 * Step 2: share the version (share-with). Each principal gets one statement whose ID names it, so
 * a rerun finds the grants an earlier run made and adds only the missing ones.
 */




/**
 * The statement IDs in the version's policy; undefined when the policy cannot be read (no
 * lambda:GetLayerVersionPolicy: then every grant is tried, and a conflict counts as present).
 */
async function statementIds(lambda, layerName, version) {
    try {
        const r = await lambda.send(new client_lambda_dist_cjs/* GetLayerVersionPolicyCommand */.fCq({ LayerName: layerName, VersionNumber: version }));
        const policy = JSON.parse(r.Policy ?? '{}');
        return new Set((policy.Statement ?? []).map(s => s.Sid ?? ''));
    }
    catch (error) {
        // a version nobody was granted has no policy at all
        if (error.name === 'ResourceNotFoundException')
            return new Set();
        core/* debug */.Yz(`GetLayerVersionPolicy: ${error.name ?? 'error'}`);
        return undefined;
    }
}
/** Grants lambda:GetLayerVersion on one version to each principal; a rerun adds only what is missing. */
async function shareLayerVersion(lambda, layerName, version, principals, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const region = await lambda.config.region();
    const present = principals.length > 0 ? await statementIds(lambda, layerName, version) : undefined;
    const results = [];
    for (const p of principals.map(given => (0,names/* parsePrincipal */.gA)(given))) {
        if (present?.has(p.statementId)) {
            results.push({ given: p.given, statementId: p.statementId, status: 'present' });
            continue;
        }
        try {
            await lambda.send(new client_lambda_dist_cjs/* AddLayerVersionPermissionCommand */.zjw({
                LayerName: layerName,
                VersionNumber: version,
                StatementId: p.statementId,
                Action: 'lambda:GetLayerVersion',
                Principal: p.principal,
                ...(p.organizationId ? { OrganizationId: p.organizationId } : {})
            }));
            results.push({ given: p.given, statementId: p.statementId, status: 'added' });
        }
        catch (error) {
            // the statement ID names the principal, so an existing one is this very grant
            if (error.name === 'ResourceConflictException') {
                results.push({ given: p.given, statementId: p.statementId, status: 'present' });
                continue;
            }
            throw (0,deliver_errors/* explainAwsError */.Ni)(error, {
                action: 'lambda:AddLayerVersionPermission',
                resource: `${(0,deliver_errors/* layerArnFor */.S)(region, layerName)}:${version}`,
                region
            });
        }
    }
    if (results.length > 0) {
        log(`Shared ${layerName}:${version} with ${results.map(r => `${r.given} (${r.status === 'added' ? 'added' : 'already granted'})`).join(', ')}`);
    }
    return results;
}

;// CONCATENATED MODULE: ./src/deliver/deliver.ts
/**
 * Steps 1 and 2 of the hand-off, in every region: publish or reuse the version that holds the
 * zip, then share it. What a region's delivery is and holds, step by step.
 */





/** Publish or reuse, then share, in one region. */
async function deliverLayer(clients, req, o = {}) {
    const result = await publishOrReuse(clients, req, o);
    if (req.shareWith.length === 0)
        return result;
    // the version exists now: a failure below must not hide it
    try {
        const shared = await shareLayerVersion(clients.lambda, req.layerName, result.version, req.shareWith, o);
        result.shared = shared.map(s => s.given);
        const added = shared.filter(s => s.status === 'added').map(s => s.given);
        if (added.length > 0)
            result.changes.push(`shared version ${result.version} with ${added.join(', ')}`);
        return result;
    }
    catch (error) {
        const what = result.published ? 'was published' : 'is the result';
        throw new outcome/* DeliveryError */.VE(`${result.layerVersionArn} ${what}, but sharing it failed: ${(0,errors/* messageOf */.bD)(error)}`, req.region, result, { cause: error });
    }
}
/**
 * Delivers to every region in parallel; `{region}` in the bucket picks each region's bucket. A
 * failing region lets the others finish; then RegionsFailedError names it, results attached.
 */
async function deliverToRegions(regions, clientsFor, req, o = {}) {
    if (regions.length === 0)
        throw new errors/* LayerActionError */.Ic('No region to publish to: set region or regions');
    return (0,deliver_regions/* inEveryRegion */.Z)(regions, (region, log) => deliverLayer(clientsFor(region), { ...req, region }, { ...o, log }), {
        log: o.log,
        what: 'Delivery',
        partialOf: e => (e instanceof outcome/* DeliveryError */.VE ? e.result : undefined),
        done: r => `${r.region} (${r.layerVersionArn})`
    });
}

// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(58500);
;// CONCATENATED MODULE: ./src/deliver/function-config.ts
/**
 * A function's layer list in Lambda: read it, set it, and wait for LastUpdateStatus — polling while
 * another update is in progress, retrying when the function changed under us.
 */




/** A function may use at most five layers. */
const MAX_LAYERS_PER_FUNCTION = 5;
function layersOf(config) {
    return (config.Layers ?? []).map(l => l.Arn ?? '').filter(arn => arn !== '');
}
async function getConfiguration(lambda, name, region) {
    try {
        return await lambda.send(new client_lambda_dist_cjs/* GetFunctionConfigurationCommand */.qA6({ FunctionName: name }));
    }
    catch (error) {
        const explained = (0,deliver_errors/* explainAwsError */.Ni)(error, {
            action: 'lambda:GetFunctionConfiguration',
            resource: functionArnFor(region, name),
            region
        });
        if (explained.kind === 'not-found') {
            throw new errors/* LayerActionError */.Ic(`Function '${name}' does not exist in ${region}: fix 'update-functions' (names, or ARNs to pick a region).`, { cause: error });
        }
        throw explained;
    }
}
/** The function's ARN for an error message: as given, or with a placeholder for the account. */
function functionArnFor(region, name) {
    return name.startsWith('arn:') ? name : `arn:aws:lambda:${region}:<account-id>:function:${name}`;
}
/** Polls until no update is in progress; Failed is an error carrying Lambda's reason. */
async function waitForUpdate(lambda, name, region, o) {
    for (let poll = 0;; poll++) {
        const config = await getConfiguration(lambda, name, region);
        const status = config.LastUpdateStatus;
        if (status === 'Failed') {
            throw new errors/* LayerActionError */.Ic(`Lambda could not apply the new layers to '${name}': ` +
                `${config.LastUpdateStatusReasonCode ?? 'Failed'}: ${config.LastUpdateStatusReason ?? 'no reason given'}`);
        }
        // a function that has never been updated has no LastUpdateStatus; Pending is its creation
        if (status !== 'InProgress' && config.State !== 'Pending')
            return config;
        if (poll >= o.maxPolls) {
            throw new errors/* LayerActionError */.Ic(`'${name}' was still updating after ${Math.round((o.maxPolls * o.pollMs) / 1000)} s; ` +
                'check it in the Lambda console and re-run.');
        }
        await o.sleep(o.pollMs);
    }
}
/** Sets a function's layer list to `next(current)` and waits until Lambda has applied it. */
async function setLayers(lambda, name, region, next, o) {
    // another deployment may be updating it: Lambda refuses a second update meanwhile
    let config = await waitForUpdate(lambda, name, region, o);
    for (let attempt = 1;; attempt++) {
        const current = layersOf(config);
        const wanted = next(current);
        if (wanted.join('\n') === current.join('\n'))
            return { name, status: 'unchanged', layers: current, previousLayers: current };
        if (wanted.length > MAX_LAYERS_PER_FUNCTION) {
            throw new errors/* LayerActionError */.Ic(`'${name}' already uses ${current.length} other layers; Lambda allows ${MAX_LAYERS_PER_FUNCTION} per function.`);
        }
        try {
            await lambda.send(new client_lambda_dist_cjs/* UpdateFunctionConfigurationCommand */.Zlw({
                FunctionName: name,
                Layers: wanted,
                ...(config.RevisionId ? { RevisionId: config.RevisionId } : {})
            }));
        }
        catch (error) {
            const code = error.name;
            // changed under us (RevisionId) or an update started meanwhile: read again and retry
            if ((code === 'PreconditionFailedException' || code === 'ResourceConflictException') &&
                attempt < 3) {
                config = await waitForUpdate(lambda, name, region, o);
                continue;
            }
            throw (0,deliver_errors/* explainAwsError */.Ni)(error, {
                action: 'lambda:UpdateFunctionConfiguration',
                resource: functionArnFor(region, name),
                region
            });
        }
        const done = await waitForUpdate(lambda, name, region, o);
        return { name, status: 'updated', layers: layersOf(done), previousLayers: current };
    }
}
function pollSettings(o) {
    return { sleep: o.sleep ?? external_node_timers_promises_.setTimeout, pollMs: o.pollMs ?? 2000, maxPolls: o.maxPolls ?? 150 };
}

;// CONCATENATED MODULE: ./src/deliver/functions.ts





/** A function name applies to this region unless it is an ARN of another region. */
function functionInRegion(name, region) {
    const arn = /^arn:[^:]+:lambda:([^:]+):/.exec(name);
    return !arn || arn[1] === region;
}
/**
 * This layer's version replaced (or appended) in a function's layer list, the other layers and
 * their order kept; a second version of this layer in the list is dropped.
 */
function withLayer(current, layerArn, layerVersionArn) {
    let placed = false;
    const next = [];
    for (const arn of current) {
        if ((0,deliver_layers/* layerArnOf */.s3)(arn) !== layerArn)
            next.push(arn);
        else if (!placed) {
            next.push(layerVersionArn);
            placed = true;
        }
    }
    if (!placed)
        next.push(layerVersionArn);
    return next;
}
/** Thrown when some functions could not be updated; `results` holds every function's outcome. */
class FunctionUpdateError extends errors/* LayerActionError */.Ic {
    results;
    constructor(message, results) {
        super(message);
        this.results = results;
    }
}
/**
 * Points each function at `layerVersionArn`, one at a time, waiting for LastUpdateStatus before
 * the next. Every function is tried; failures are thrown together at the end.
 */
async function updateFunctions(lambda, layerArn, layerVersionArn, names, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const region = await lambda.config.region();
    const settings = pollSettings(o);
    const results = [];
    for (const name of names) {
        try {
            const result = await setLayers(lambda, name, region, current => withLayer(current, layerArn, layerVersionArn), settings);
            log(`Function ${name}: ${result.status === 'updated' ? 'now uses' : 'already uses'} ${layerVersionArn}`);
            results.push(result);
        }
        catch (error) {
            const message = (0,errors/* messageOf */.bD)(error);
            core/* warning */.$e(`Function ${name}: not updated: ${message}`);
            results.push({ name, status: 'failed', layers: [], error: message });
        }
    }
    const failed = results.filter(r => r.status === 'failed');
    if (failed.length > 0) {
        throw new FunctionUpdateError(`Could not point ${failed.length} of ${results.length} function(s) at ${layerVersionArn}: ` +
            failed.map(f => `${f.name}: ${f.error}`).join('; '), results);
    }
    return results;
}
/**
 * Puts each function this run updated back on the layer list it had before (a rollback). Every
 * function is tried; returns the ones restored, with their layers, and the ones that could not be.
 */
async function restoreFunctions(lambda, updated, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const region = await lambda.config.region();
    const settings = pollSettings(o);
    const restored = [];
    const failed = [];
    for (const f of updated) {
        if (f.status !== 'updated' || !f.previousLayers)
            continue;
        const previous = f.previousLayers;
        try {
            await setLayers(lambda, f.name, region, () => previous, settings);
            log(`Function ${f.name}: put back on ${previous.join(', ') || 'no layers'}`);
            restored.push({ name: f.name, layers: previous });
        }
        catch (error) {
            const message = (0,errors/* messageOf */.bD)(error);
            core/* warning */.$e(`Function ${f.name}: could not be put back on its previous layers: ${message}`);
            failed.push({ name: f.name, error: message });
        }
    }
    return { restored, failed };
}

;// CONCATENATED MODULE: ./src/deliver/health.ts
/**
 * Step 4, the health check after update-functions: invoke each named function; one that returns a
 * function error, or cannot be invoked, puts every function this run updated back on its previous
 * layers (what CodeDeploy does for a bad deployment). Retention has not run yet, so those layers
 * still exist. The new layer version stays: it is harmless, and the next run reuses or prunes it.
 */






const MAX_ERROR = 1000;
/** The function's own error out of an invocation payload: `errorType: errorMessage` when it is JSON. */
function functionErrorOf(payload, kind) {
    const text = Buffer.from(payload ?? new Uint8Array()).toString('utf8');
    try {
        const e = JSON.parse(text);
        if (typeof e.errorMessage === 'string') {
            const type = typeof e.errorType === 'string' ? `${e.errorType}: ` : '';
            return `${type}${e.errorMessage}`.slice(0, MAX_ERROR);
        }
    }
    catch {
        // not JSON: the raw text below
    }
    return `${kind} function error${text ? `: ${text.slice(0, MAX_ERROR)}` : ''}`;
}
/** One synchronous invocation; undefined when healthy, else the error to report. */
async function invokeHealthCheck(lambda, name, payload) {
    const region = await lambda.config.region();
    try {
        const r = await lambda.send(new client_lambda_dist_cjs/* InvokeCommand */.mdN({
            FunctionName: name,
            InvocationType: 'RequestResponse',
            Payload: Buffer.from(payload)
        }));
        return r.FunctionError ? functionErrorOf(r.Payload, r.FunctionError) : undefined;
    }
    catch (error) {
        return (0,deliver_errors/* explainAwsError */.Ni)(error, {
            action: 'lambda:InvokeFunction',
            resource: functionArnFor(region, name),
            region
        }).message;
    }
}
/**
 * Invokes each function in every region delivered to, in order, stopping at the first failure;
 * then restores every function the deliveries updated, in every region, and throws
 * HealthCheckError naming the function and its error.
 */
async function checkHealth(deliveries, clientsFor, names, payload, o = {}) {
    const log = o.log ?? core/* info */.pq;
    let failure;
    for (const d of deliveries) {
        for (const name of names.filter(n => functionInRegion(n, d.region))) {
            const error = await invokeHealthCheck(clientsFor(d.region).lambda, name, payload);
            if (error === undefined) {
                log(`Health check: ${name} (${d.region}) answered without a function error`);
                continue;
            }
            failure = { name, region: d.region, error };
            break;
        }
        if (failure)
            break;
    }
    if (!failure)
        return;
    core/* warning */.$e(`Health check: ${failure.name} (${failure.region}) failed: ${failure.error}`);
    const restored = [];
    const notRestored = [];
    for (const d of deliveries) {
        try {
            const r = await restoreFunctions(clientsFor(d.region).lambda, d.functions, { ...o, log });
            restored.push(...r.restored.map(f => ({ ...f, name: `${f.name} (${d.region})` })));
            notRestored.push(...r.failed.map(f => ({ ...f, name: `${f.name} (${d.region})` })));
        }
        catch (error) {
            notRestored.push({ name: d.region, error: (0,errors/* messageOf */.bD)(error) });
        }
    }
    throw new outcome/* HealthCheckError */.b1(healthFailureMessage(deliveries, failure, restored, notRestored), deliveries, failure, restored, notRestored);
}
/** The three things a failed check must say: what failed, what was put back where, what stays. */
function healthFailureMessage(deliveries, failure, restored, notRestored) {
    const back = restored.length > 0
        ? `Put ${restored.length} function(s) back on their previous layers: ` +
            restored.map(f => `${f.name} on ${f.layers.join(', ') || 'no layers'}`).join('; ') +
            '.'
        : 'No function had been updated by this run, so none was put back.';
    const stuck = notRestored.length > 0
        ? ` Could NOT put back: ${notRestored.map(f => `${f.name}: ${f.error}`).join('; ')} — fix these by hand.`
        : '';
    const arns = deliveries.map(d => d.layerVersionArn).join(', ');
    return (`Health check failed: function '${failure.name}' in ${failure.region} returned: ${failure.error}. ` +
        `${back}${stuck} ${arns} stay${deliveries.length === 1 ? 's' : ''} published: the next run ` +
        'with the same zip reuses it, and keep-versions prunes it like any other version. This run ' +
        'deleted no old version and wrote no SSM parameter, tag or GitHub Release.');
}

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-ssm/dist-cjs/index.js
var client_ssm_dist_cjs = __webpack_require__(34736);
// EXTERNAL MODULE: ./src/release/bump.ts + 6 modules
var bump = __webpack_require__(75018);
;// CONCATENATED MODULE: ./src/deliver/parameters.ts
/**
 * Step 5, SSM parameters: the layer version ARN handed to infrastructure code, as Powertools
 * publishes its own: `<name>/latest` and `<name>/<version>`, resolvable from CloudFormation,
 * Terraform and CDK. Parameters follow the versions: what is already right is left alone, and a
 * `<name>/<version>` naming a version retention deleted is deleted with it.
 */




/** `/layers/{layer}` → `/layers/common-prod` */
function parameterBase(template, layerName) {
    return template.replace(/\{layer\}/g, layerName).replace(/\/+$/, '');
}
function arnOf(region, name) {
    return `arn:${(0,deliver_errors/* partitionOf */.iQ)(region)}:ssm:${region}:<account-id>:parameter${name}`;
}
/** Current values of `names`; undefined when they cannot be read (no ssm:GetParameters). */
async function currentValues(ssm, names, region) {
    try {
        const r = await ssm.send(new client_ssm_dist_cjs/* GetParametersCommand */.AFe({ Names: names }));
        return new Map((r.Parameters ?? []).map(p => [p.Name ?? '', p.Value ?? '']));
    }
    catch (error) {
        const explained = (0,deliver_errors/* explainAwsError */.Ni)(error, {
            action: 'ssm:GetParameters',
            resource: arnOf(region, names[0]),
            region
        });
        if (explained.kind !== 'access-denied')
            throw explained;
        core/* info */.pq(`Cannot read ${names.join(', ')} (ssm:GetParameters is not allowed): writing them`);
        return undefined;
    }
}
/**
 * Makes `<base>/latest` and, with a version, `<base>/<version>` (String) hold the layer version
 * ARN, writing only those that do not already. Returns every name, and the ones written now.
 */
async function writeLayerParameters(ssm, p, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const region = await ssm.config.region();
    const names = [`${p.base}/latest`, ...(p.version ? [`${p.base}/${p.version}`] : [])];
    const current = await currentValues(ssm, names, region);
    const written = names.filter(name => current?.get(name) !== p.layerVersionArn);
    for (const name of written) {
        try {
            await ssm.send(new client_ssm_dist_cjs/* PutParameterCommand */.ihh({
                Name: name,
                Value: p.layerVersionArn,
                Type: 'String',
                Overwrite: true,
                Description: p.description.slice(0, 1024)
            }));
        }
        catch (error) {
            throw (0,deliver_errors/* explainAwsError */.Ni)(error, {
                action: 'ssm:PutParameter',
                resource: arnOf(region, name),
                region
            });
        }
    }
    const kept = names.filter(name => !written.includes(name));
    log(`SSM ${names.join(', ')} = ${p.layerVersionArn}` +
        (kept.length === 0
            ? ''
            : written.length === 0
                ? ' (already)'
                : ` (${kept.join(', ')} already)`));
    return { names, written };
}
/**
 * Deletes the `<base>/<version>` parameters (direct children of base named by a plain semantic
 * version, as the action writes them; others are the user's) that hold an ARN of this layer whose
 * version no longer exists. Returns the names deleted.
 */
async function deleteStaleParameters(ssm, base, layerArn, existing, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const region = await ssm.config.region();
    const alive = new Set(existing);
    const stale = [];
    try {
        let token;
        do {
            const page = await ssm.send(new client_ssm_dist_cjs/* GetParametersByPathCommand */.o_y({ Path: base, Recursive: false, NextToken: token }));
            for (const p of page.Parameters ?? []) {
                const name = p.Name ?? '';
                const version = Number(/^(.*):(\d+)$/.exec(p.Value ?? '')?.[2]);
                const ofThisLayer = (p.Value ?? '').startsWith(`${layerArn}:`);
                const release = (0,bump/* isPlainVersion */.$b)(name.slice(base.length + 1));
                if (release && ofThisLayer && !alive.has(version))
                    stale.push(name);
            }
            token = page.NextToken;
        } while (token);
        // DeleteParameters takes at most 10 names
        for (let i = 0; i < stale.length; i += 10)
            await ssm.send(new client_ssm_dist_cjs/* DeleteParametersCommand */.lPl({ Names: stale.slice(i, i + 10) }));
    }
    catch (error) {
        throw (0,deliver_errors/* explainAwsError */.Ni)(error, {
            action: stale.length > 0 ? 'ssm:DeleteParameters' : 'ssm:GetParametersByPath',
            resource: arnOf(region, `${base}/*`),
            region
        });
    }
    if (stale.length > 0)
        log(`SSM deleted ${stale.join(', ')}: their layer versions are gone`);
    return stale;
}

;// CONCATENATED MODULE: ./src/deliver/retention.ts
/**
 * Step 5, retention (keep-versions): runs only after the health check passed, so a failed check
 * always finds the previous versions still there to roll back to. Never deletes the version this
 * run published or reused, nor one a function of update-functions points at.
 */




/** This layer's versions that the functions use after their update (read from their layer lists). */
function versionsInUse(functions, layerArn) {
    const versions = functions
        .flatMap(f => f.layers)
        .filter(arn => (0,deliver_layers/* layerArnOf */.s3)(arn) === layerArn)
        .map(arn => Number(/:(\d+)$/.exec(arn)?.[1]));
    return [...new Set(versions.filter(v => Number.isInteger(v)))];
}
/**
 * Deletes every version but the newest `keep` and the protected ones (0 keeps all). Functions
 * using a deleted version keep working: Lambda keeps a copy of the layers a function was given.
 */
async function keepVersions(lambda, layerName, keep, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const region = await lambda.config.region();
    const versions = (await (0,deliver_layers/* listLayerVersions */.n)(lambda, layerName))
        .map(v => v.Version)
        .filter((v) => v !== undefined);
    if (keep <= 0)
        return { deleted: [], remaining: versions };
    const protect = new Set(o.protect ?? []);
    const doomed = versions.slice(keep).filter(v => !protect.has(v));
    for (const version of doomed) {
        try {
            await lambda.send(new client_lambda_dist_cjs/* DeleteLayerVersionCommand */.KnR({ LayerName: layerName, VersionNumber: version }));
        }
        catch (error) {
            throw (0,deliver_errors/* explainAwsError */.Ni)(error, {
                action: 'lambda:DeleteLayerVersion',
                resource: `${(0,deliver_errors/* layerArnFor */.S)(region, layerName)}:${version}`,
                region
            });
        }
    }
    const spared = versions.slice(keep).filter(v => protect.has(v));
    if (doomed.length > 0 || spared.length > 0) {
        log(`keep-versions ${keep}: ` +
            (doomed.length > 0
                ? `deleted version(s) ${doomed.join(', ')} of ${layerName}`
                : 'deleted nothing') +
            (spared.length > 0
                ? `; kept ${spared.join(', ')} (this run's, or in use by update-functions)`
                : ''));
    }
    return { deleted: doomed, remaining: versions.filter(v => !doomed.includes(v)) };
}

;// CONCATENATED MODULE: ./src/deliver/fleet.ts









class Fleet {
    inputs;
    plan;
    o;
    clients = new Map();
    constructor(inputs, plan, o = {}) {
        this.inputs = inputs;
        this.plan = plan;
        this.o = o;
    }
    clientsFor(region) {
        if (this.o.clientsFor)
            return this.o.clientsFor(region);
        if (!this.clients.has(region))
            this.clients.set(region, (0,clients/* createClients */.hP)({ region, userAgent: `${constants/* ACTION_NAME */.px}/${constants/* ACTION_VERSION */.Yt}` }));
        return this.clients.get(region);
    }
    /** Steps 1 and 2: publish or reuse, then share, in every region. */
    publish(zip) {
        const { inputs, plan } = this;
        return deliverToRegions(inputs.regions, region => this.clientsFor(region), {
            layerName: inputs.publishedName,
            bucket: inputs.bucket,
            key: plan.s3Key,
            zipPath: zip.path,
            sha256: zip.sha256,
            skipUnchanged: inputs.skipUnchanged,
            commit: plan.sha,
            description: plan.description,
            compatibleRuntimes: inputs.compatibleRuntimes,
            architecture: inputs.architecture,
            licenseInfo: inputs.licenseInfo || undefined,
            metadata: Object.fromEntries(Object.entries({
                version: plan.release.version,
                tag: plan.release.tag,
                commit: plan.sha
            }).filter(([, v]) => v)),
            shareWith: inputs.shareWith
        }, { log: this.o.log });
    }
    /** Step 3: every function of update-functions on this run's version, in every region. */
    async updateFunctions(deliveries) {
        const names = this.inputs.updateFunctions;
        await (0,deliver_regions/* inEveryRegion */.Z)(deliveries.map(d => d.region), async (region, log) => {
            const d = deliveries.find(x => x.region === region);
            const here = names.filter(name => functionInRegion(name, region));
            if (here.length === 0)
                return;
            try {
                d.functions = await updateFunctions(this.clientsFor(region).lambda, d.layerArn, d.layerVersionArn, here, { sleep: this.o.sleep, pollMs: this.o.pollMs, log });
            }
            catch (error) {
                if (error instanceof FunctionUpdateError)
                    d.functions = error.results;
                throw error;
            }
            finally {
                for (const f of d.functions.filter(f => f.status === 'updated'))
                    d.changes.push(`${f.name} now uses version ${d.version}`);
            }
        }, { log: this.o.log, what: 'update-functions' });
    }
    /** Step 4: the health check; a failure puts the functions back and throws HealthCheckError. */
    checkHealth(deliveries) {
        return checkHealth(deliveries, region => this.clientsFor(region), this.inputs.healthCheck, this.inputs.healthCheckPayload, { sleep: this.o.sleep, pollMs: this.o.pollMs, log: this.o.log });
    }
    /**
     * Step 5, after the check passed: in each region the SSM parameters first (so `latest` never
     * names a version about to be deleted), then retention, then the parameters of deleted versions.
     */
    async settle(deliveries) {
        await (0,deliver_regions/* inEveryRegion */.Z)(deliveries.map(d => d.region), (region, log) => this.settleRegion(deliveries.find(d => d.region === region), log), { log: this.o.log, what: 'Retention and SSM parameters' });
    }
    async settleRegion(d, log) {
        const { inputs, plan } = this;
        const { lambda, ssm } = this.clientsFor(d.region);
        const base = inputs.ssmParameter ? parameterBase(inputs.ssmParameter, inputs.publishedName) : '';
        if (base) {
            const { names, written } = await writeLayerParameters(ssm, {
                base,
                layerVersionArn: d.layerVersionArn,
                // `<version>` names a release: a version of this commit; a reuse from another moves `latest`
                version: (0,outcome/* releasesThisCommit */.Sv)(d) ? plan.release.version : undefined,
                description: `${constants/* ACTION_NAME */.px}: ${inputs.publishedName} ${plan.release.tag} (layer version ${d.version})`
            }, { log });
            d.parameters = names;
            d.changes.push(...written.map(name => `wrote ${name}`));
        }
        // a version reused from another commit is a rollback: it prunes nothing, as before
        if (inputs.keepVersions <= 0 || !(0,outcome/* releasesThisCommit */.Sv)(d))
            return;
        const { deleted, remaining } = await keepVersions(lambda, inputs.publishedName, inputs.keepVersions, {
            protect: [d.version, ...versionsInUse(d.functions, d.layerArn)],
            log
        });
        d.deleted = deleted;
        if (deleted.length > 0)
            d.changes.push(`deleted version(s) ${deleted.join(', ')}`);
        if (!base)
            return;
        const stale = await deleteStaleParameters(ssm, base, d.layerArn, remaining, { log });
        d.changes.push(...stale.map(name => `deleted ${name}`));
    }
}


/***/ }),

/***/ 47171:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ef: () => (/* binding */ listLayerVersionsPage),
/* harmony export */   XV: () => (/* binding */ sameSet),
/* harmony export */   bI: () => (/* binding */ publishLayerVersion),
/* harmony export */   n: () => (/* binding */ listLayerVersions),
/* harmony export */   s3: () => (/* binding */ layerArnOf),
/* harmony export */   um: () => (/* binding */ getLayerVersion)
/* harmony export */ });
/* unused harmony export LIST_PAGE_MAX */
/* harmony import */ var _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(71696);
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57150);
/* harmony import */ var _names__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(67673);
/**
 * Lambda layer versions (their name rules are in names.ts): listing and reading versions, publishing from S3.
 * Limits are Lambda's API model (PublishLayerVersion, AddLayerVersionPermission, read 2026-11).
 */



/** `arn:…:layer:name:7` → `arn:…:layer:name` */
function layerArnOf(layerVersionArn) {
    return layerVersionArn.replace(/:\d+$/, '');
}
async function regionOf(lambda) {
    return lambda.config.region();
}
/** Every version of the layer, newest first; none (not an error) when the layer does not exist. */
async function listLayerVersions(lambda, layerName) {
    const versions = [];
    let marker;
    do {
        const page = await listLayerVersionsPage(lambda, layerName, marker);
        versions.push(...page.versions);
        marker = page.next;
    } while (marker);
    return versions.sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0));
}
/** Same members, order ignored. */
function sameSet(a, b) {
    return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
/** One version with its CodeSha256 (which only GetLayerVersion returns). */
async function getLayerVersion(lambda, layerName, version) {
    const region = await regionOf(lambda);
    try {
        const v = await lambda.send(new _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__/* .GetLayerVersionCommand */ .VK5({ LayerName: layerName, VersionNumber: version }));
        const layerVersionArn = v.LayerVersionArn ?? `${(0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, layerName)}:${version}`;
        return {
            layerArn: v.LayerArn ?? layerArnOf(layerVersionArn),
            layerVersionArn,
            version: v.Version ?? version,
            codeSha256: v.Content?.CodeSha256 ?? '',
            codeSize: v.Content?.CodeSize,
            description: v.Description,
            compatibleRuntimes: [...(v.CompatibleRuntimes ?? [])],
            compatibleArchitectures: [...(v.CompatibleArchitectures ?? [])],
            createdDate: v.CreatedDate
        };
    }
    catch (error) {
        throw (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .explainAwsError */ .Ni)(error, {
            action: 'lambda:GetLayerVersion',
            resource: `${(0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, layerName)}:${version}`,
            region
        });
    }
}
/** ListLayerVersions' page size limit (MaxItems). */
const LIST_PAGE_MAX = 50;
/** One page of ListLayerVersions, newest first; none (not an error) when the layer does not exist. */
async function listLayerVersionsPage(lambda, layerName, marker, maxItems = LIST_PAGE_MAX) {
    const region = await regionOf(lambda);
    try {
        const page = await lambda.send(new _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__/* .ListLayerVersionsCommand */ .icq({ LayerName: layerName, Marker: marker, MaxItems: maxItems }));
        // Lambda lists newest first; sorted again in case a server does not
        const versions = [...(page.LayerVersions ?? [])].sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0));
        return { versions, next: page.NextMarker };
    }
    catch (error) {
        if (error.name === 'ResourceNotFoundException')
            return { versions: [] };
        throw (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .explainAwsError */ .Ni)(error, {
            action: 'lambda:ListLayerVersions',
            resource: (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, layerName),
            region
        });
    }
}
async function publishLayerVersion(lambda, p) {
    (0,_names__WEBPACK_IMPORTED_MODULE_1__/* .validateLayerName */ .jo)(p.layerName);
    const region = await regionOf(lambda);
    try {
        const r = await lambda.send(new _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__/* .PublishLayerVersionCommand */ .cl_({
            LayerName: p.layerName,
            Content: {
                S3Bucket: p.bucket,
                S3Key: p.key,
                ...(p.objectVersion ? { S3ObjectVersion: p.objectVersion } : {})
            },
            Description: (0,_names__WEBPACK_IMPORTED_MODULE_1__/* .layerDescription */ .iq)(p.description),
            CompatibleRuntimes: [...p.compatibleRuntimes],
            CompatibleArchitectures: [p.architecture],
            ...(p.licenseInfo ? { LicenseInfo: (0,_names__WEBPACK_IMPORTED_MODULE_1__/* .validateLicenseInfo */ .Qs)(p.licenseInfo) } : {})
        }));
        if (!r.LayerVersionArn || r.Version === undefined) {
            throw new Error('PublishLayerVersion answered without LayerVersionArn or Version');
        }
        return {
            layerArn: r.LayerArn ?? layerArnOf(r.LayerVersionArn),
            layerVersionArn: r.LayerVersionArn,
            version: r.Version,
            codeSha256: r.Content?.CodeSha256 ?? '',
            codeSize: r.Content?.CodeSize
        };
    }
    catch (error) {
        throw (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .explainAwsError */ .Ni)(error, {
            action: 'lambda:PublishLayerVersion',
            resource: (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, p.layerName),
            region,
            bucket: p.bucket,
            key: p.key
        });
    }
}


/***/ })

};
