export const id = 29;
export const ids = [29];
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

/***/ 49029:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   codeArtifactIndexUrl: () => (/* binding */ codeArtifactIndexUrl),
/* harmony export */   createCodeArtifactClient: () => (/* binding */ createCodeArtifactClient)
/* harmony export */ });
/* unused harmony exports TOKEN_SECONDS, CodeArtifactError, CODEARTIFACT_PERMISSIONS, indexUrlOf */
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(33838);
/* harmony import */ var _aws_sdk_client_codeartifact__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(83380);
/* harmony import */ var _constants__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(27242);
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(83916);
/* harmony import */ var _deliver_clients__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(77930);
/* harmony import */ var _credentials__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(33029);
/**
 * An AWS CodeArtifact repository as pip's index: a short-lived token (GetAuthorizationToken) and
 * the repository's PyPI endpoint (GetRepositoryEndpoint), fetched with the job's AWS credentials,
 * give `https://aws:<token>@<domain>-<owner>.d.codeartifact.<region>.amazonaws.com/pypi/<repo>/simple/`.
 * The token is masked before anything can print it.
 */






/** The token lives as long as the resolve stage may need it, not the 12 hours AWS allows. */
const TOKEN_SECONDS = 3600;
/** CodeArtifact could not give the index; the message names the permission or input to fix. */
class CodeArtifactError extends _errors__WEBPACK_IMPORTED_MODULE_2__/* .LayerActionError */ .Ic {
}
const CODEARTIFACT_PERMISSIONS = 'codeartifact:GetAuthorizationToken and codeartifact:GetRepositoryEndpoint on the domain and repository, ' +
    'codeartifact:ReadFromRepository on the repository, and sts:GetServiceBearerToken ' +
    '(with the condition "sts:AWSServiceName": "codeartifact.amazonaws.com")';
/**
 * The client of one region (undefined: the SDK's default chain — AWS_REGION, profile). Endpoint
 * (AWS_ENDPOINT_URL_CODEARTIFACT, AWS_ENDPOINT_URL) and credentials come from the SDK's own
 * resolution, as for S3 and Lambda.
 */
function createCodeArtifactClient(o = {}) {
    return new _aws_sdk_client_codeartifact__WEBPACK_IMPORTED_MODULE_5__/* .CodeartifactClient */ .doD((0,_deliver_clients__WEBPACK_IMPORTED_MODULE_3__/* .clientConfig */ .yO)({ ...o, userAgent: `${_constants__WEBPACK_IMPORTED_MODULE_1__/* .ACTION_NAME */ .px}/${_constants__WEBPACK_IMPORTED_MODULE_1__/* .ACTION_VERSION */ .Yt}` }));
}
/** `https://aws:<token>@host/pypi/repo/simple/` from the repository endpoint and the token. */
function indexUrlOf(endpoint, token) {
    const url = new URL(endpoint);
    url.username = 'aws';
    url.password = token;
    url.pathname = `${url.pathname.replace(/\/*$/, '/')}simple/`;
    return url.href;
}
function errorName(error) {
    return error instanceof Error ? error.name : '';
}
/** What went wrong, said to the person who must fix the role or the inputs. */
function explain(error, call, repo, region) {
    const owner = repo.domainOwner ? ` owned by ${repo.domainOwner}` : '';
    const where = `domain '${repo.domain}'${owner}, repository '${repo.repository}' in ${region}`;
    const detail = (0,_errors__WEBPACK_IMPORTED_MODULE_2__/* .messageOf */ .bD)(error);
    switch (errorName(error)) {
        case 'AccessDeniedException':
            return new CodeArtifactError(`CodeArtifact refused ${call} for ${where} with the job's AWS credentials (${detail}). ` +
                `The role needs ${CODEARTIFACT_PERMISSIONS}.`);
        case 'ResourceNotFoundException':
            return new CodeArtifactError(`CodeArtifact has no ${where} (${call}: ${detail}). Check '${_constants__WEBPACK_IMPORTED_MODULE_1__/* .Inputs */ .G0.CodeartifactDomain}', ` +
                `'${_constants__WEBPACK_IMPORTED_MODULE_1__/* .Inputs */ .G0.CodeartifactRepository}'${repo.domainOwner ? '' : `, '${_constants__WEBPACK_IMPORTED_MODULE_1__/* .Inputs */ .G0.CodeartifactDomainOwner}' (needed when the domain belongs to another account)`} ` +
                `and the region (CodeArtifact is regional: the first of '${_constants__WEBPACK_IMPORTED_MODULE_1__/* .Inputs */ .G0.Regions}' / '${_constants__WEBPACK_IMPORTED_MODULE_1__/* .Inputs */ .G0.Region}', else AWS_REGION).`);
        case 'CredentialsProviderError':
            return new CodeArtifactError(`No AWS credentials to call CodeArtifact ${call} (${detail}): configure them before this step ` +
                '(aws-actions/configure-aws-credentials); the role needs ' +
                CODEARTIFACT_PERMISSIONS +
                '.');
        default:
            return new CodeArtifactError(`CodeArtifact ${call} failed for ${where}: ${errorName(error) || 'error'}: ${detail}`);
    }
}
/**
 * The index URL of the repository, its token registered as a secret (runner masking and the
 * Redactor) before it is returned, so no log line can carry it.
 */
async function codeArtifactIndexUrl(client, repo) {
    let region;
    try {
        region = await client.config.region();
    }
    catch {
        throw new CodeArtifactError(`No AWS region for CodeArtifact: set '${_constants__WEBPACK_IMPORTED_MODULE_1__/* .Inputs */ .G0.Region}' (or AWS_REGION, as aws-actions/configure-aws-credentials does) to the region of domain '${repo.domain}'`);
    }
    const owner = repo.domainOwner ? { domainOwner: repo.domainOwner } : {};
    let token;
    try {
        const answer = await client.send(new _aws_sdk_client_codeartifact__WEBPACK_IMPORTED_MODULE_5__/* .GetAuthorizationTokenCommand */ .Eu6({
            domain: repo.domain,
            ...owner,
            durationSeconds: TOKEN_SECONDS
        }));
        token = answer.authorizationToken ?? '';
    }
    catch (error) {
        throw explain(error, 'GetAuthorizationToken', repo, region);
    }
    if (!token)
        throw new CodeArtifactError('CodeArtifact GetAuthorizationToken returned no token');
    _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setSecret */ .Pq(token);
    let endpoint;
    try {
        const answer = await client.send(new _aws_sdk_client_codeartifact__WEBPACK_IMPORTED_MODULE_5__/* .GetRepositoryEndpointCommand */ .Z3Z({
            domain: repo.domain,
            ...owner,
            repository: repo.repository,
            format: 'pypi'
        }));
        endpoint = answer.repositoryEndpoint ?? '';
    }
    catch (error) {
        throw explain(error, 'GetRepositoryEndpoint', repo, region);
    }
    if (!/^https?:\/\//.test(endpoint))
        throw new CodeArtifactError(`CodeArtifact GetRepositoryEndpoint returned no URL for repository '${repo.repository}' (${JSON.stringify(endpoint)})`);
    const url = indexUrlOf(endpoint, token);
    // the encoded form too: that is how it appears inside the URL
    new _credentials__WEBPACK_IMPORTED_MODULE_4__/* .Redactor */ .pO([url]).register();
    _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`CodeArtifact: a token for repository '${repo.repository}' of domain '${repo.domain}' (valid ${TOKEN_SECONDS / 60} minutes)`);
    return url;
}


/***/ })

};
