export const id = 29;
export const ids = [29];
export const modules = {

/***/ 96045:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Gz: () => (/* binding */ DEFAULT_MAX_ATTEMPTS),
/* harmony export */   hP: () => (/* binding */ createClients)
/* harmony export */ });
/* unused harmony exports USER_AGENT_NAME, s3EndpointFromEnv */
/* harmony import */ var _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(71696);
/* harmony import */ var _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(53711);
/* harmony import */ var _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(34736);
/* harmony import */ var _smithy_core_retry__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(23609);
/**
 * The S3, Lambda and SSM clients of one region. Credentials, endpoints (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_LAMBDA, a profile's endpoint_url) and retry settings come
 * from the SDK's own resolution, so whatever configured the job's AWS access configures this too.
 */




const DEFAULT_MAX_ATTEMPTS = 5;
const USER_AGENT_NAME = 'layer-action';
/** The endpoint the SDK will use for S3 from the environment, if one is configured there. */
function s3EndpointFromEnv(env = process.env) {
    if (/^(true|1)$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? ''))
        return undefined;
    return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}
function createClients(o) {
    const env = o.env ?? process.env;
    // AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, when the workflow sets them, win over our defaults
    const fromEnv = Number.parseInt(env.AWS_MAX_ATTEMPTS ?? '', 10);
    const maxAttempts = o.maxAttempts ?? (fromEnv > 0 ? fromEnv : DEFAULT_MAX_ATTEMPTS);
    const common = {
        region: o.region,
        customUserAgent: o.userAgent ?? USER_AGENT_NAME,
        maxAttempts,
        ...(env.AWS_RETRY_MODE ? {} : { retryMode: 'standard' }),
        ...(o.retryDelay
            ? { retryStrategy: new _smithy_core_retry__WEBPACK_IMPORTED_MODULE_0__.ConfiguredRetryStrategy(maxAttempts, o.retryDelay) }
            : {})
    };
    return {
        s3: new _aws_sdk_client_s3__WEBPACK_IMPORTED_MODULE_1__.S3Client({
            ...common,
            // emulators and S3-compatible stores rarely resolve <bucket>.<host>; AWS itself needs no change
            forcePathStyle: s3EndpointFromEnv(env) !== undefined,
            // a bucket in another region is an error to explain, not to follow: Lambda needs it in-region
            followRegionRedirects: false
        }),
        lambda: new _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__/* .LambdaClient */ .Nox(common),
        ssm: new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_3__/* .SSMClient */ .jBj(common)
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
/* harmony import */ var _smithy_core_retry__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(23609);
/* harmony import */ var _constants__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(27242);
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(83916);
/* harmony import */ var _deliver_clients__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(96045);
/* harmony import */ var _credentials__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(33029);
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
    const env = o.env ?? process.env;
    const fromEnv = Number.parseInt(env.AWS_MAX_ATTEMPTS ?? '', 10);
    const maxAttempts = o.maxAttempts ?? (fromEnv > 0 ? fromEnv : _deliver_clients__WEBPACK_IMPORTED_MODULE_4__/* .DEFAULT_MAX_ATTEMPTS */ .Gz);
    return new _aws_sdk_client_codeartifact__WEBPACK_IMPORTED_MODULE_5__/* .CodeartifactClient */ .doD({
        ...(o.region ? { region: o.region } : {}),
        customUserAgent: `${_constants__WEBPACK_IMPORTED_MODULE_1__/* .ACTION_NAME */ .px}/${_constants__WEBPACK_IMPORTED_MODULE_1__/* .ACTION_VERSION */ .Yt}`,
        maxAttempts,
        ...(env.AWS_RETRY_MODE ? {} : { retryMode: 'standard' }),
        ...(o.retryDelay
            ? { retryStrategy: new _smithy_core_retry__WEBPACK_IMPORTED_MODULE_6__.ConfiguredRetryStrategy(maxAttempts, o.retryDelay) }
            : {})
    });
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
    new _credentials__WEBPACK_IMPORTED_MODULE_3__/* .Redactor */ .pO([url]).register();
    _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`CodeArtifact: a token for repository '${repo.repository}' of domain '${repo.domain}' (valid ${TOKEN_SECONDS / 60} minutes)`);
    return url;
}


/***/ })

};
