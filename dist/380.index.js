export const id = 380;
export const ids = [380];
export const modules = {

/***/ 83380:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {

var __webpack_unused_export__;
const { awsEndpointFunctions, emitWarningIfUnsupportedVersion: emitWarningIfUnsupportedVersion$1, createDefaultUserAgentProvider, NODE_APP_ID_CONFIG_OPTIONS, getAwsRegionExtensionConfiguration, resolveAwsRegionExtensionConfiguration, resolveUserAgentConfig, resolveHostHeaderConfig, getUserAgentPlugin, getHostHeaderPlugin, getLoggerPlugin, getRecursionDetectionPlugin } = __webpack_require__(5152);
const { getHttpAuthSchemeEndpointRuleSetPlugin, DefaultIdentityProviderConfig, getHttpSigningPlugin, createPaginator } = __webpack_require__(90402);
const { normalizeProvider, getSmithyContext, ServiceException, NoOpLogger, emitWarningIfUnsupportedVersion, loadConfigsForDefaultMode, getDefaultExtensionConfiguration, resolveDefaultRuntimeConfig, Client, makeBuilder, createAggregatedClient } = __webpack_require__(92658);
const { Command: $Command } = __webpack_require__(92658);
__webpack_unused_export__ = $Command;
__webpack_unused_export__ = Client;
const { resolveDefaultsModeConfig, loadConfig, NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS, NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS, NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS, resolveRegionConfig } = __webpack_require__(47291);
const { BinaryDecisionDiagram, EndpointCache, decideEndpoint, customEndpointFunctions, resolveEndpointConfig, getEndpointPlugin } = __webpack_require__(62085);
const { parseUrl, getHttpHandlerExtensionConfiguration, resolveHttpHandlerRuntimeConfig, getContentLengthPlugin } = __webpack_require__(93422);
const { DEFAULT_RETRY_MODE, NODE_RETRY_MODE_CONFIG_OPTIONS, NODE_MAX_ATTEMPT_CONFIG_OPTIONS, resolveRetryConfig, getRetryPlugin } = __webpack_require__(23609);
const { TypeRegistry, getSchemaSerdePlugin } = __webpack_require__(26890);
const { resolveAwsSdkSigV4Config, AwsSdkSigV4Signer, NODE_AUTH_SCHEME_PREFERENCE_OPTIONS } = __webpack_require__(97523);
const { defaultProvider } = __webpack_require__(5861);
const { toUtf8, fromUtf8, sdkStreamMixin, toBase64, fromBase64, calculateBodyLength } = __webpack_require__(92430);
const { streamCollector, NodeHttpHandler } = __webpack_require__(61279);
const { AwsRestJsonProtocol } = __webpack_require__(37288);
const { Sha256 } = __webpack_require__(99542);

const defaultCodeartifactHttpAuthSchemeParametersProvider = async (config, context, input) => {
    return {
        operation: getSmithyContext(context).operation,
        region: await normalizeProvider(config.region)() || (() => {
            throw new Error("expected `region` to be configured for `aws.auth#sigv4`");
        })(),
    };
};
function createAwsAuthSigv4HttpAuthOption(authParameters) {
    return {
        schemeId: "aws.auth#sigv4",
        signingProperties: {
            name: "codeartifact",
            region: authParameters.region,
        },
        propertiesExtractor: (config, context) => ({
            signingProperties: {
                config,
                context,
            },
        }),
    };
}
const defaultCodeartifactHttpAuthSchemeProvider = (authParameters) => {
    const options = [];
    switch (authParameters.operation) {
        default: {
            options.push(createAwsAuthSigv4HttpAuthOption(authParameters));
        }
    }
    return options;
};
const resolveHttpAuthSchemeConfig = (config) => {
    const config_0 = resolveAwsSdkSigV4Config(config);
    return Object.assign(config_0, {
        authSchemePreference: normalizeProvider(config.authSchemePreference ?? []),
    });
};

const resolveClientEndpointParameters = (options) => {
    return Object.assign(options, {
        useDualstackEndpoint: options.useDualstackEndpoint ?? false,
        useFipsEndpoint: options.useFipsEndpoint ?? false,
        defaultSigningName: "codeartifact",
    });
};
const commonParams = {
    UseFIPS: { type: "builtInParams", name: "useFipsEndpoint" },
    Endpoint: { type: "builtInParams", name: "endpoint" },
    Region: { type: "builtInParams", name: "region" },
    UseDualStack: { type: "builtInParams", name: "useDualstackEndpoint" },
};

var version = "3.1123.0";
var packageInfo = {
	version: version};

const k = "ref";
const a = -1, b = true, c = "isSet", d = "PartitionResult", e = "booleanEquals", f = "getAttr", g = { [k]: "Endpoint" }, h = { [k]: d }, i = {}, j = [{ [k]: "Region" }];
const _data = {
    conditions: [
        [c, [g]],
        [c, j],
        ["aws.partition", j, d],
        [e, [{ [k]: "UseFIPS" }, b]],
        [e, [{ [k]: "UseDualStack" }, b]],
        [e, [{ fn: f, argv: [h, "supportsDualStack"] }, b]],
        [e, [{ fn: f, argv: [h, "supportsFIPS"] }, b]]
    ],
    results: [
        [a],
        [a, "Invalid Configuration: FIPS and custom endpoint are not supported"],
        [a, "Invalid Configuration: Dualstack and custom endpoint are not supported"],
        [g, i],
        ["https://codeartifact-fips.{Region}.{PartitionResult#dualStackDnsSuffix}", i],
        [a, "FIPS and DualStack are enabled, but this partition does not support one or both"],
        ["https://codeartifact-fips.{Region}.{PartitionResult#dnsSuffix}", i],
        [a, "FIPS is enabled but this partition does not support FIPS"],
        ["https://codeartifact.{Region}.{PartitionResult#dualStackDnsSuffix}", i],
        [a, "DualStack is enabled but this partition does not support DualStack"],
        ["https://codeartifact.{Region}.{PartitionResult#dnsSuffix}", i],
        [a, "Invalid Configuration: Missing Region"]
    ]
};
const root = 2;
const r = 100_000_000;
const nodes = new Int32Array([
    -1, 1, -1,
    0, 12, 3,
    1, 4, r + 11,
    2, 5, r + 11,
    3, 8, 6,
    4, 7, r + 10,
    5, r + 8, r + 9,
    4, 10, 9,
    6, r + 6, r + 7,
    5, 11, r + 5,
    6, r + 4, r + 5,
    3, r + 1, 13,
    4, r + 2, r + 3,
]);
const bdd = BinaryDecisionDiagram.from(nodes, root, _data.conditions, _data.results);

const cache = new EndpointCache({
    size: 50,
    params: ["Endpoint", "Region", "UseDualStack", "UseFIPS"],
});
const defaultEndpointResolver = (endpointParams, context = {}) => {
    return cache.get(endpointParams, () => decideEndpoint(bdd, {
        endpointParams: endpointParams,
        logger: context.logger,
    }));
};
customEndpointFunctions.aws = awsEndpointFunctions;

class CodeartifactServiceException extends ServiceException {
    constructor(options) {
        super(options);
        Object.setPrototypeOf(this, CodeartifactServiceException.prototype);
    }
}

class AccessDeniedException extends CodeartifactServiceException {
    name = "AccessDeniedException";
    $fault = "client";
    constructor(opts) {
        super({
            name: "AccessDeniedException",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, AccessDeniedException.prototype);
    }
}
class ConflictException extends CodeartifactServiceException {
    name = "ConflictException";
    $fault = "client";
    resourceId;
    resourceType;
    constructor(opts) {
        super({
            name: "ConflictException",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ConflictException.prototype);
        this.resourceId = opts.resourceId;
        this.resourceType = opts.resourceType;
    }
}
class InternalServerException extends CodeartifactServiceException {
    name = "InternalServerException";
    $fault = "server";
    constructor(opts) {
        super({
            name: "InternalServerException",
            $fault: "server",
            ...opts,
        });
        Object.setPrototypeOf(this, InternalServerException.prototype);
    }
}
class ResourceNotFoundException extends CodeartifactServiceException {
    name = "ResourceNotFoundException";
    $fault = "client";
    resourceId;
    resourceType;
    constructor(opts) {
        super({
            name: "ResourceNotFoundException",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ResourceNotFoundException.prototype);
        this.resourceId = opts.resourceId;
        this.resourceType = opts.resourceType;
    }
}
class ServiceQuotaExceededException extends CodeartifactServiceException {
    name = "ServiceQuotaExceededException";
    $fault = "client";
    resourceId;
    resourceType;
    constructor(opts) {
        super({
            name: "ServiceQuotaExceededException",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ServiceQuotaExceededException.prototype);
        this.resourceId = opts.resourceId;
        this.resourceType = opts.resourceType;
    }
}
class ThrottlingException extends CodeartifactServiceException {
    name = "ThrottlingException";
    $fault = "client";
    retryAfterSeconds;
    constructor(opts) {
        super({
            name: "ThrottlingException",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ThrottlingException.prototype);
        this.retryAfterSeconds = opts.retryAfterSeconds;
    }
}
class ValidationException extends CodeartifactServiceException {
    name = "ValidationException";
    $fault = "client";
    reason;
    constructor(opts) {
        super({
            name: "ValidationException",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ValidationException.prototype);
        this.reason = opts.reason;
    }
}

const _A = "Asset";
const _ADE = "AccessDeniedException";
const _AEC = "AssociateExternalConnection";
const _AECR = "AssociateExternalConnectionRequest";
const _AECRs = "AssociateExternalConnectionResult";
const _AP = "AssociatedPackage";
const _APL = "AssociatedPackageList";
const _AS = "AssetSummary";
const _ASL = "AssetSummaryList";
const _CD = "CreateDomain";
const _CDR = "CreateDomainRequest";
const _CDRr = "CreateDomainResult";
const _CE = "ConflictException";
const _CPG = "CreatePackageGroup";
const _CPGR = "CreatePackageGroupRequest";
const _CPGRr = "CreatePackageGroupResult";
const _CPV = "CopyPackageVersions";
const _CPVR = "CopyPackageVersionsRequest";
const _CPVRo = "CopyPackageVersionsResult";
const _CR = "CreateRepository";
const _CRR = "CreateRepositoryRequest";
const _CRRr = "CreateRepositoryResult";
const _DD = "DomainDescription";
const _DDPP = "DeleteDomainPermissionsPolicy";
const _DDPPR = "DeleteDomainPermissionsPolicyRequest";
const _DDPPRe = "DeleteDomainPermissionsPolicyResult";
const _DDR = "DeleteDomainRequest";
const _DDRe = "DeleteDomainResult";
const _DDRes = "DescribeDomainRequest";
const _DDResc = "DescribeDomainResult";
const _DDe = "DeleteDomain";
const _DDes = "DescribeDomain";
const _DEC = "DisassociateExternalConnection";
const _DECR = "DisassociateExternalConnectionRequest";
const _DECRi = "DisassociateExternalConnectionResult";
const _DEP = "DomainEntryPoint";
const _DP = "DeletePackage";
const _DPG = "DeletePackageGroup";
const _DPGR = "DeletePackageGroupRequest";
const _DPGRe = "DeletePackageGroupResult";
const _DPGRes = "DescribePackageGroupRequest";
const _DPGResc = "DescribePackageGroupResult";
const _DPGe = "DescribePackageGroup";
const _DPR = "DeletePackageRequest";
const _DPRe = "DeletePackageResult";
const _DPRes = "DescribePackageRequest";
const _DPResc = "DescribePackageResult";
const _DPV = "DeletePackageVersions";
const _DPVR = "DeletePackageVersionsRequest";
const _DPVRe = "DeletePackageVersionsResult";
const _DPVRes = "DescribePackageVersionRequest";
const _DPVResc = "DescribePackageVersionResult";
const _DPVRi = "DisposePackageVersionsRequest";
const _DPVRis = "DisposePackageVersionsResult";
const _DPVe = "DescribePackageVersion";
const _DPVi = "DisposePackageVersions";
const _DPe = "DescribePackage";
const _DR = "DeleteRepository";
const _DRPP = "DeleteRepositoryPermissionsPolicy";
const _DRPPR = "DeleteRepositoryPermissionsPolicyRequest";
const _DRPPRe = "DeleteRepositoryPermissionsPolicyResult";
const _DRR = "DeleteRepositoryRequest";
const _DRRe = "DeleteRepositoryResult";
const _DRRes = "DescribeRepositoryRequest";
const _DRResc = "DescribeRepositoryResult";
const _DRe = "DescribeRepository";
const _DS = "DomainSummary";
const _DSL = "DomainSummaryList";
const _GAPG = "GetAssociatedPackageGroup";
const _GAPGR = "GetAssociatedPackageGroupRequest";
const _GAPGRe = "GetAssociatedPackageGroupResult";
const _GAT = "GetAuthorizationToken";
const _GATR = "GetAuthorizationTokenRequest";
const _GATRe = "GetAuthorizationTokenResult";
const _GDPP = "GetDomainPermissionsPolicy";
const _GDPPR = "GetDomainPermissionsPolicyRequest";
const _GDPPRe = "GetDomainPermissionsPolicyResult";
const _GPVA = "GetPackageVersionAsset";
const _GPVAR = "GetPackageVersionAssetRequest";
const _GPVARe = "GetPackageVersionAssetResult";
const _GPVR = "GetPackageVersionReadme";
const _GPVRR = "GetPackageVersionReadmeRequest";
const _GPVRRe = "GetPackageVersionReadmeResult";
const _GRE = "GetRepositoryEndpoint";
const _GRER = "GetRepositoryEndpointRequest";
const _GRERe = "GetRepositoryEndpointResult";
const _GRPP = "GetRepositoryPermissionsPolicy";
const _GRPPR = "GetRepositoryPermissionsPolicyRequest";
const _GRPPRe = "GetRepositoryPermissionsPolicyResult";
const _ISE = "InternalServerException";
const _LAP = "ListAssociatedPackages";
const _LAPR = "ListAssociatedPackagesRequest";
const _LAPRi = "ListAssociatedPackagesResult";
const _LARFG = "ListAllowedRepositoriesForGroup";
const _LARFGR = "ListAllowedRepositoriesForGroupRequest";
const _LARFGRi = "ListAllowedRepositoriesForGroupResult";
const _LD = "ListDomains";
const _LDR = "ListDomainsRequest";
const _LDRi = "ListDomainsResult";
const _LI = "LicenseInfo";
const _LIL = "LicenseInfoList";
const _LP = "ListPackages";
const _LPG = "ListPackageGroups";
const _LPGR = "ListPackageGroupsRequest";
const _LPGRi = "ListPackageGroupsResult";
const _LPR = "ListPackagesRequest";
const _LPRi = "ListPackagesResult";
const _LPV = "ListPackageVersions";
const _LPVA = "ListPackageVersionAssets";
const _LPVAR = "ListPackageVersionAssetsRequest";
const _LPVARi = "ListPackageVersionAssetsResult";
const _LPVD = "ListPackageVersionDependencies";
const _LPVDR = "ListPackageVersionDependenciesRequest";
const _LPVDRi = "ListPackageVersionDependenciesResult";
const _LPVR = "ListPackageVersionsRequest";
const _LPVRi = "ListPackageVersionsResult";
const _LR = "ListRepositories";
const _LRID = "ListRepositoriesInDomain";
const _LRIDR = "ListRepositoriesInDomainRequest";
const _LRIDRi = "ListRepositoriesInDomainResult";
const _LRR = "ListRepositoriesRequest";
const _LRRi = "ListRepositoriesResult";
const _LSPG = "ListSubPackageGroups";
const _LSPGR = "ListSubPackageGroupsRequest";
const _LSPGRi = "ListSubPackageGroupsResult";
const _LTFR = "ListTagsForResource";
const _LTFRR = "ListTagsForResourceRequest";
const _LTFRRi = "ListTagsForResourceResult";
const _PD = "PackageDependency";
const _PDL = "PackageDependencyList";
const _PDPP = "PutDomainPermissionsPolicy";
const _PDPPR = "PutDomainPermissionsPolicyRequest";
const _PDPPRu = "PutDomainPermissionsPolicyResult";
const _PDa = "PackageDescription";
const _PGAR = "PackageGroupAllowedRepository";
const _PGARL = "PackageGroupAllowedRepositoryList";
const _PGARU = "PackageGroupAllowedRepositoryUpdates";
const _PGARUa = "PackageGroupAllowedRepositoryUpdate";
const _PGD = "PackageGroupDescription";
const _PGOC = "PackageGroupOriginConfiguration";
const _PGOR = "PackageGroupOriginRestriction";
const _PGORa = "PackageGroupOriginRestrictions";
const _PGR = "PackageGroupReference";
const _PGS = "PackageGroupSummary";
const _PGSL = "PackageGroupSummaryList";
const _POC = "PackageOriginConfiguration";
const _POR = "PackageOriginRestrictions";
const _PPOC = "PutPackageOriginConfiguration";
const _PPOCR = "PutPackageOriginConfigurationRequest";
const _PPOCRu = "PutPackageOriginConfigurationResult";
const _PPV = "PublishPackageVersion";
const _PPVR = "PublishPackageVersionRequest";
const _PPVRu = "PublishPackageVersionResult";
const _PRPP = "PutRepositoryPermissionsPolicy";
const _PRPPR = "PutRepositoryPermissionsPolicyRequest";
const _PRPPRu = "PutRepositoryPermissionsPolicyResult";
const _PS = "PackageSummary";
const _PSL = "PackageSummaryList";
const _PVD = "PackageVersionDescription";
const _PVE = "PackageVersionError";
const _PVEM = "PackageVersionErrorMap";
const _PVO = "PackageVersionOrigin";
const _PVS = "PackageVersionSummary";
const _PVSL = "PackageVersionSummaryList";
const _RA = "Retry-After";
const _RD = "RepositoryDescription";
const _RECI = "RepositoryExternalConnectionInfo";
const _RECIL = "RepositoryExternalConnectionInfoList";
const _RNFE = "ResourceNotFoundException";
const _RP = "ResourcePolicy";
const _RS = "RepositorySummary";
const _RSL = "RepositorySummaryList";
const _SPVI = "SuccessfulPackageVersionInfo";
const _SPVIM = "SuccessfulPackageVersionInfoMap";
const _SQEE = "ServiceQuotaExceededException";
const _T = "Tag";
const _TE = "ThrottlingException";
const _TL = "TagList";
const _TR = "TagResource";
const _TRR = "TagResourceRequest";
const _TRRa = "TagResourceResult";
const _UPG = "UpdatePackageGroup";
const _UPGOC = "UpdatePackageGroupOriginConfiguration";
const _UPGOCR = "UpdatePackageGroupOriginConfigurationRequest";
const _UPGOCRp = "UpdatePackageGroupOriginConfigurationResult";
const _UPGR = "UpdatePackageGroupRequest";
const _UPGRp = "UpdatePackageGroupResult";
const _UPVS = "UpdatePackageVersionsStatus";
const _UPVSR = "UpdatePackageVersionsStatusRequest";
const _UPVSRp = "UpdatePackageVersionsStatusResult";
const _UR = "UpstreamRepository";
const _URI = "UpstreamRepositoryInfo";
const _URIL = "UpstreamRepositoryInfoList";
const _URL = "UpstreamRepositoryList";
const _URR = "UntagResourceRequest";
const _URRn = "UntagResourceResult";
const _URRp = "UpdateRepositoryRequest";
const _URRpd = "UpdateRepositoryResult";
const _URn = "UntagResource";
const _URp = "UpdateRepository";
const _VE = "ValidationException";
const _XA = "X-AssetName";
const _XP = "X-PackageVersion";
const _XP_ = "X-PackageVersionRevision";
const _a = "arn";
const _aA = "administratorAccount";
const _aAR = "addAllowedRepositories";
const _aC = "assetContent";
const _aN = "assetName";
const _aO = "allowOverwrite";
const _aR = "allowedRepositories";
const _aRU = "allowedRepositoryUpdates";
const _aSB = "assetSizeBytes";
const _aSHA = "assetSHA256";
const _aT = "associationType";
const _aTu = "authorizationToken";
const _aa = "administrator-account";
const _as = "asset";
const _ass = "assets";
const _c = "client";
const _cI = "contactInfo";
const _cT = "createdTime";
const _d = "domain";
const _dDV = "defaultDisplayVersion";
const _dEP = "domainEntryPoint";
const _dN = "domainName";
const _dNi = "displayName";
const _dO = "domainOwner";
const _dP = "deletedPackage";
const _dR = "destinationRepository";
const _dS = "durationSeconds";
const _dT = "dependencyType";
const _de = "description";
const _dep = "dependencies";
const _do = "domain-owner";
const _doc = "document";
const _dom = "domains";
const _dr = "destination-repository";
const _du = "duration";
const _e = "error";
const _eC = "externalConnection";
const _eCN = "externalConnectionName";
const _eCr = "errorCode";
const _eCx = "externalConnections";
const _eK = "encryptionKey";
const _eM = "effectiveMode";
const _eMr = "errorMessage";
const _eS = "expectedStatus";
const _eT = "endpointType";
const _ec = "external-connection";
const _ex = "expiration";
const _f = "format";
const _fV = "failedVersions";
const _h = "hashes";
const _hE = "httpError";
const _hH = "httpHeader";
const _hP = "homePage";
const _hQ = "httpQuery";
const _ht = "http";
const _iF = "inheritedFrom";
const _iFU = "includeFromUpstream";
const _k = "key";
const _l = "licenses";
const _m = "message";
const _mR = "maxResults";
const _mo = "mode";
const _mr = "max-results";
const _n = "name";
const _nT = "nextToken";
const _na = "namespace";
const _nt = "next-token";
const _o = "owner";
const _oC = "originConfiguration";
const _oRT = "originRestrictionType";
const _oT = "originType";
const _or = "origin";
const _p = "package";
const _pD = "policyDocument";
const _pF = "packageFormat";
const _pG = "packageGroup";
const _pGa = "packageGroups";
const _pN = "packageName";
const _pP = "packagePrefix";
const _pR = "policyRevision";
const _pT = "publishedTime";
const _pV = "packageVersion";
const _pVR = "packageVersionRevision";
const _pa = "packages";
const _par = "parent";
const _pat = "pattern";
const _pg = "package-group";
const _po = "policy";
const _pp = "package-prefix";
const _pr = "policy-revision";
const _pre = "preview";
const _pref = "prefix";
const _pu = "publish";
const _r = "reason";
const _rA = "resourceArn";
const _rAR = "removeAllowedRepositories";
const _rAS = "retryAfterSeconds";
const _rC = "repositoryCount";
const _rCe = "repositoriesCount";
const _rE = "repositoryEndpoint";
const _rI = "resourceId";
const _rN = "repositoryName";
const _rP = "repositoryPrefix";
const _rT = "resourceType";
const _re = "repository";
const _rea = "readme";
const _rep = "repositories";
const _res = "restrictions";
const _rev = "revision";
const _rp = "repository-prefix";
const _s = "smithy.ts.sdk.synthetic.com.amazonaws.codeartifact";
const _sB = "sortBy";
const _sBA = "s3BucketArn";
const _sCR = "sourceCodeRepository";
const _sR = "sourceRepository";
const _sV = "successfulVersions";
const _se = "server";
const _si = "size";
const _sr = "source-repository";
const _st = "streaming";
const _sta = "status";
const _su = "summary";
const _t = "tags";
const _tK = "tagKeys";
const _tS = "targetStatus";
const _u = "upstreams";
const _un = "unfinished";
const _up = "upstream";
const _ur = "url";
const _v = "versions";
const _vR = "versionRevisions";
const _vRe = "versionRevision";
const _vRer = "versionRequirement";
const _va = "value";
const _ve = "version";
const _xacs = "x-amz-content-sha256";
const n0 = "com.amazonaws.codeartifact";
const _s_registry = TypeRegistry.for(_s);
var CodeartifactServiceException$ = [-3, _s, "CodeartifactServiceException", 0, [], []];
_s_registry.registerError(CodeartifactServiceException$, CodeartifactServiceException);
const n0_registry = TypeRegistry.for(n0);
var AccessDeniedException$ = [-3, n0, _ADE,
    { [_e]: _c, [_hE]: 403 },
    [_m],
    [0], 1
];
n0_registry.registerError(AccessDeniedException$, AccessDeniedException);
var ConflictException$ = [-3, n0, _CE,
    { [_e]: _c, [_hE]: 409 },
    [_m, _rI, _rT],
    [0, 0, 0], 1
];
n0_registry.registerError(ConflictException$, ConflictException);
var InternalServerException$ = [-3, n0, _ISE,
    { [_e]: _se, [_hE]: 500 },
    [_m],
    [0], 1
];
n0_registry.registerError(InternalServerException$, InternalServerException);
var ResourceNotFoundException$ = [-3, n0, _RNFE,
    { [_e]: _c, [_hE]: 404 },
    [_m, _rI, _rT],
    [0, 0, 0], 1
];
n0_registry.registerError(ResourceNotFoundException$, ResourceNotFoundException);
var ServiceQuotaExceededException$ = [-3, n0, _SQEE,
    { [_e]: _c, [_hE]: 402 },
    [_m, _rI, _rT],
    [0, 0, 0], 1
];
n0_registry.registerError(ServiceQuotaExceededException$, ServiceQuotaExceededException);
var ThrottlingException$ = [-3, n0, _TE,
    { [_e]: _c, [_hE]: 429 },
    [_m, _rAS],
    [0, [1, { [_hH]: _RA }]], 1
];
n0_registry.registerError(ThrottlingException$, ThrottlingException);
var ValidationException$ = [-3, n0, _VE,
    { [_e]: _c, [_hE]: 400 },
    [_m, _r],
    [0, 0], 1
];
n0_registry.registerError(ValidationException$, ValidationException);
const errorTypeRegistries = [
    _s_registry,
    n0_registry,
];
var Asset = [0, n0, _A, { [_st]: 1 }, 42];
var AssetSummary$ = [3, n0, _AS,
    0,
    [_n, _si, _h],
    [0, 1, 128 | 0], 1
];
var AssociatedPackage$ = [3, n0, _AP,
    0,
    [_f, _na, _p, _aT],
    [0, 0, 0, 0]
];
var AssociateExternalConnectionRequest$ = [3, n0, _AECR,
    0,
    [_d, _re, _eC, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _ec }], [0, { [_hQ]: _do }]], 3
];
var AssociateExternalConnectionResult$ = [3, n0, _AECRs,
    0,
    [_re],
    [() => RepositoryDescription$]
];
var CopyPackageVersionsRequest$ = [3, n0, _CPVR,
    0,
    [_d, _sR, _dR, _f, _p, _dO, _na, _v, _vR, _aO, _iFU],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _sr }], [0, { [_hQ]: _dr }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], 64 | 0, 128 | 0, 2, 2], 5
];
var CopyPackageVersionsResult$ = [3, n0, _CPVRo,
    0,
    [_sV, _fV],
    [() => SuccessfulPackageVersionInfoMap, () => PackageVersionErrorMap]
];
var CreateDomainRequest$ = [3, n0, _CDR,
    0,
    [_d, _eK, _t],
    [[0, { [_hQ]: _d }], 0, () => TagList], 1
];
var CreateDomainResult$ = [3, n0, _CDRr,
    0,
    [_d],
    [() => DomainDescription$]
];
var CreatePackageGroupRequest$ = [3, n0, _CPGR,
    0,
    [_d, _pG, _dO, _cI, _de, _t],
    [[0, { [_hQ]: _d }], 0, [0, { [_hQ]: _do }], 0, 0, () => TagList], 2
];
var CreatePackageGroupResult$ = [3, n0, _CPGRr,
    0,
    [_pG],
    [() => PackageGroupDescription$]
];
var CreateRepositoryRequest$ = [3, n0, _CRR,
    0,
    [_d, _re, _dO, _de, _u, _t],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _do }], 0, () => UpstreamRepositoryList, () => TagList], 2
];
var CreateRepositoryResult$ = [3, n0, _CRRr,
    0,
    [_re],
    [() => RepositoryDescription$]
];
var DeleteDomainPermissionsPolicyRequest$ = [3, n0, _DDPPR,
    0,
    [_d, _dO, _pR],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _do }], [0, { [_hQ]: _pr }]], 1
];
var DeleteDomainPermissionsPolicyResult$ = [3, n0, _DDPPRe,
    0,
    [_po],
    [() => ResourcePolicy$]
];
var DeleteDomainRequest$ = [3, n0, _DDR,
    0,
    [_d, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _do }]], 1
];
var DeleteDomainResult$ = [3, n0, _DDRe,
    0,
    [_d],
    [() => DomainDescription$]
];
var DeletePackageGroupRequest$ = [3, n0, _DPGR,
    0,
    [_d, _pG, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _pg }], [0, { [_hQ]: _do }]], 2
];
var DeletePackageGroupResult$ = [3, n0, _DPGRe,
    0,
    [_pG],
    [() => PackageGroupDescription$]
];
var DeletePackageRequest$ = [3, n0, _DPR,
    0,
    [_d, _re, _f, _p, _dO, _na],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }]], 4
];
var DeletePackageResult$ = [3, n0, _DPRe,
    0,
    [_dP],
    [() => PackageSummary$]
];
var DeletePackageVersionsRequest$ = [3, n0, _DPVR,
    0,
    [_d, _re, _f, _p, _v, _dO, _na, _eS],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], 64 | 0, [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], 0], 5
];
var DeletePackageVersionsResult$ = [3, n0, _DPVRe,
    0,
    [_sV, _fV],
    [() => SuccessfulPackageVersionInfoMap, () => PackageVersionErrorMap]
];
var DeleteRepositoryPermissionsPolicyRequest$ = [3, n0, _DRPPR,
    0,
    [_d, _re, _dO, _pR],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _do }], [0, { [_hQ]: _pr }]], 2
];
var DeleteRepositoryPermissionsPolicyResult$ = [3, n0, _DRPPRe,
    0,
    [_po],
    [() => ResourcePolicy$]
];
var DeleteRepositoryRequest$ = [3, n0, _DRR,
    0,
    [_d, _re, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _do }]], 2
];
var DeleteRepositoryResult$ = [3, n0, _DRRe,
    0,
    [_re],
    [() => RepositoryDescription$]
];
var DescribeDomainRequest$ = [3, n0, _DDRes,
    0,
    [_d, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _do }]], 1
];
var DescribeDomainResult$ = [3, n0, _DDResc,
    0,
    [_d],
    [() => DomainDescription$]
];
var DescribePackageGroupRequest$ = [3, n0, _DPGRes,
    0,
    [_d, _pG, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _pg }], [0, { [_hQ]: _do }]], 2
];
var DescribePackageGroupResult$ = [3, n0, _DPGResc,
    0,
    [_pG],
    [() => PackageGroupDescription$]
];
var DescribePackageRequest$ = [3, n0, _DPRes,
    0,
    [_d, _re, _f, _p, _dO, _na],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }]], 4
];
var DescribePackageResult$ = [3, n0, _DPResc,
    0,
    [_p],
    [() => PackageDescription$], 1
];
var DescribePackageVersionRequest$ = [3, n0, _DPVRes,
    0,
    [_d, _re, _f, _p, _pV, _dO, _na],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _ve }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }]], 5
];
var DescribePackageVersionResult$ = [3, n0, _DPVResc,
    0,
    [_pV],
    [() => PackageVersionDescription$], 1
];
var DescribeRepositoryRequest$ = [3, n0, _DRRes,
    0,
    [_d, _re, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _do }]], 2
];
var DescribeRepositoryResult$ = [3, n0, _DRResc,
    0,
    [_re],
    [() => RepositoryDescription$]
];
var DisassociateExternalConnectionRequest$ = [3, n0, _DECR,
    0,
    [_d, _re, _eC, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _ec }], [0, { [_hQ]: _do }]], 3
];
var DisassociateExternalConnectionResult$ = [3, n0, _DECRi,
    0,
    [_re],
    [() => RepositoryDescription$]
];
var DisposePackageVersionsRequest$ = [3, n0, _DPVRi,
    0,
    [_d, _re, _f, _p, _v, _dO, _na, _vR, _eS],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], 64 | 0, [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], 128 | 0, 0], 5
];
var DisposePackageVersionsResult$ = [3, n0, _DPVRis,
    0,
    [_sV, _fV],
    [() => SuccessfulPackageVersionInfoMap, () => PackageVersionErrorMap]
];
var DomainDescription$ = [3, n0, _DD,
    0,
    [_n, _o, _a, _sta, _cT, _eK, _rC, _aSB, _sBA],
    [0, 0, 0, 0, 4, 0, 1, 1, 0]
];
var DomainEntryPoint$ = [3, n0, _DEP,
    0,
    [_rN, _eCN],
    [0, 0]
];
var DomainSummary$ = [3, n0, _DS,
    0,
    [_n, _o, _a, _sta, _cT, _eK],
    [0, 0, 0, 0, 4, 0]
];
var GetAssociatedPackageGroupRequest$ = [3, n0, _GAPGR,
    0,
    [_d, _f, _p, _dO, _na],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }]], 3
];
var GetAssociatedPackageGroupResult$ = [3, n0, _GAPGRe,
    0,
    [_pG, _aT],
    [() => PackageGroupDescription$, 0]
];
var GetAuthorizationTokenRequest$ = [3, n0, _GATR,
    0,
    [_d, _dO, _dS],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _do }], [1, { [_hQ]: _du }]], 1
];
var GetAuthorizationTokenResult$ = [3, n0, _GATRe,
    8,
    [_aTu, _ex],
    [0, 4]
];
var GetDomainPermissionsPolicyRequest$ = [3, n0, _GDPPR,
    0,
    [_d, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _do }]], 1
];
var GetDomainPermissionsPolicyResult$ = [3, n0, _GDPPRe,
    0,
    [_po],
    [() => ResourcePolicy$]
];
var GetPackageVersionAssetRequest$ = [3, n0, _GPVAR,
    0,
    [_d, _re, _f, _p, _pV, _as, _dO, _na, _pVR],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _ve }], [0, { [_hQ]: _as }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], [0, { [_hQ]: _rev }]], 6
];
var GetPackageVersionAssetResult$ = [3, n0, _GPVARe,
    0,
    [_as, _aN, _pV, _pVR],
    [[() => Asset, 16], [0, { [_hH]: _XA }], [0, { [_hH]: _XP }], [0, { [_hH]: _XP_ }]]
];
var GetPackageVersionReadmeRequest$ = [3, n0, _GPVRR,
    0,
    [_d, _re, _f, _p, _pV, _dO, _na],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _ve }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }]], 5
];
var GetPackageVersionReadmeResult$ = [3, n0, _GPVRRe,
    0,
    [_f, _na, _p, _ve, _vRe, _rea],
    [0, 0, 0, 0, 0, 0]
];
var GetRepositoryEndpointRequest$ = [3, n0, _GRER,
    0,
    [_d, _re, _f, _dO, _eT],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _do }], [0, { [_hQ]: _eT }]], 3
];
var GetRepositoryEndpointResult$ = [3, n0, _GRERe,
    0,
    [_rE],
    [0]
];
var GetRepositoryPermissionsPolicyRequest$ = [3, n0, _GRPPR,
    0,
    [_d, _re, _dO],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _do }]], 2
];
var GetRepositoryPermissionsPolicyResult$ = [3, n0, _GRPPRe,
    0,
    [_po],
    [() => ResourcePolicy$]
];
var LicenseInfo$ = [3, n0, _LI,
    0,
    [_n, _ur],
    [0, 0]
];
var ListAllowedRepositoriesForGroupRequest$ = [3, n0, _LARFGR,
    0,
    [_d, _pG, _oRT, _dO, _mR, _nT],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _pg }], [0, { [_hQ]: _oRT }], [0, { [_hQ]: _do }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }]], 3
];
var ListAllowedRepositoriesForGroupResult$ = [3, n0, _LARFGRi,
    0,
    [_aR, _nT],
    [64 | 0, 0]
];
var ListAssociatedPackagesRequest$ = [3, n0, _LAPR,
    0,
    [_d, _pG, _dO, _mR, _nT, _pre],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _pg }], [0, { [_hQ]: _do }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }], [2, { [_hQ]: _pre }]], 2
];
var ListAssociatedPackagesResult$ = [3, n0, _LAPRi,
    0,
    [_pa, _nT],
    [() => AssociatedPackageList, 0]
];
var ListDomainsRequest$ = [3, n0, _LDR,
    0,
    [_mR, _nT],
    [1, 0]
];
var ListDomainsResult$ = [3, n0, _LDRi,
    0,
    [_dom, _nT],
    [() => DomainSummaryList, 0]
];
var ListPackageGroupsRequest$ = [3, n0, _LPGR,
    0,
    [_d, _dO, _mR, _nT, _pref],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _do }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }], [0, { [_hQ]: _pref }]], 1
];
var ListPackageGroupsResult$ = [3, n0, _LPGRi,
    0,
    [_pGa, _nT],
    [() => PackageGroupSummaryList, 0]
];
var ListPackagesRequest$ = [3, n0, _LPR,
    0,
    [_d, _re, _dO, _f, _na, _pP, _mR, _nT, _pu, _up],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _do }], [0, { [_hQ]: _f }], [0, { [_hQ]: _na }], [0, { [_hQ]: _pp }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }], [0, { [_hQ]: _pu }], [0, { [_hQ]: _up }]], 2
];
var ListPackagesResult$ = [3, n0, _LPRi,
    0,
    [_pa, _nT],
    [() => PackageSummaryList, 0]
];
var ListPackageVersionAssetsRequest$ = [3, n0, _LPVAR,
    0,
    [_d, _re, _f, _p, _pV, _dO, _na, _mR, _nT],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _ve }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }]], 5
];
var ListPackageVersionAssetsResult$ = [3, n0, _LPVARi,
    0,
    [_f, _na, _p, _ve, _vRe, _nT, _ass],
    [0, 0, 0, 0, 0, 0, () => AssetSummaryList]
];
var ListPackageVersionDependenciesRequest$ = [3, n0, _LPVDR,
    0,
    [_d, _re, _f, _p, _pV, _dO, _na, _nT],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _ve }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], [0, { [_hQ]: _nt }]], 5
];
var ListPackageVersionDependenciesResult$ = [3, n0, _LPVDRi,
    0,
    [_f, _na, _p, _ve, _vRe, _nT, _dep],
    [0, 0, 0, 0, 0, 0, () => PackageDependencyList]
];
var ListPackageVersionsRequest$ = [3, n0, _LPVR,
    0,
    [_d, _re, _f, _p, _dO, _na, _sta, _sB, _mR, _nT, _oT],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], [0, { [_hQ]: _sta }], [0, { [_hQ]: _sB }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }], [0, { [_hQ]: _oT }]], 4
];
var ListPackageVersionsResult$ = [3, n0, _LPVRi,
    0,
    [_dDV, _f, _na, _p, _v, _nT],
    [0, 0, 0, 0, () => PackageVersionSummaryList, 0]
];
var ListRepositoriesInDomainRequest$ = [3, n0, _LRIDR,
    0,
    [_d, _dO, _aA, _rP, _mR, _nT],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _do }], [0, { [_hQ]: _aa }], [0, { [_hQ]: _rp }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }]], 1
];
var ListRepositoriesInDomainResult$ = [3, n0, _LRIDRi,
    0,
    [_rep, _nT],
    [() => RepositorySummaryList, 0]
];
var ListRepositoriesRequest$ = [3, n0, _LRR,
    0,
    [_rP, _mR, _nT],
    [[0, { [_hQ]: _rp }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }]]
];
var ListRepositoriesResult$ = [3, n0, _LRRi,
    0,
    [_rep, _nT],
    [() => RepositorySummaryList, 0]
];
var ListSubPackageGroupsRequest$ = [3, n0, _LSPGR,
    0,
    [_d, _pG, _dO, _mR, _nT],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _pg }], [0, { [_hQ]: _do }], [1, { [_hQ]: _mr }], [0, { [_hQ]: _nt }]], 2
];
var ListSubPackageGroupsResult$ = [3, n0, _LSPGRi,
    0,
    [_pGa, _nT],
    [() => PackageGroupSummaryList, 0]
];
var ListTagsForResourceRequest$ = [3, n0, _LTFRR,
    0,
    [_rA],
    [[0, { [_hQ]: _rA }]], 1
];
var ListTagsForResourceResult$ = [3, n0, _LTFRRi,
    0,
    [_t],
    [() => TagList]
];
var PackageDependency$ = [3, n0, _PD,
    0,
    [_na, _p, _dT, _vRer],
    [0, 0, 0, 0]
];
var PackageDescription$ = [3, n0, _PDa,
    0,
    [_f, _na, _n, _oC],
    [0, 0, 0, () => PackageOriginConfiguration$]
];
var PackageGroupAllowedRepository$ = [3, n0, _PGAR,
    0,
    [_rN, _oRT],
    [0, 0]
];
var PackageGroupDescription$ = [3, n0, _PGD,
    0,
    [_a, _pat, _dN, _dO, _cT, _cI, _de, _oC, _par],
    [0, 0, 0, 0, 4, 0, 0, () => PackageGroupOriginConfiguration$, () => PackageGroupReference$]
];
var PackageGroupOriginConfiguration$ = [3, n0, _PGOC,
    0,
    [_res],
    [() => PackageGroupOriginRestrictions]
];
var PackageGroupOriginRestriction$ = [3, n0, _PGOR,
    0,
    [_mo, _eM, _iF, _rCe],
    [0, 0, () => PackageGroupReference$, 1]
];
var PackageGroupReference$ = [3, n0, _PGR,
    0,
    [_a, _pat],
    [0, 0]
];
var PackageGroupSummary$ = [3, n0, _PGS,
    0,
    [_a, _pat, _dN, _dO, _cT, _cI, _de, _oC, _par],
    [0, 0, 0, 0, 4, 0, 0, () => PackageGroupOriginConfiguration$, () => PackageGroupReference$]
];
var PackageOriginConfiguration$ = [3, n0, _POC,
    0,
    [_res],
    [() => PackageOriginRestrictions$]
];
var PackageOriginRestrictions$ = [3, n0, _POR,
    0,
    [_pu, _up],
    [0, 0], 2
];
var PackageSummary$ = [3, n0, _PS,
    0,
    [_f, _na, _p, _oC],
    [0, 0, 0, () => PackageOriginConfiguration$]
];
var PackageVersionDescription$ = [3, n0, _PVD,
    0,
    [_f, _na, _pN, _dNi, _ve, _su, _hP, _sCR, _pT, _l, _rev, _sta, _or],
    [0, 0, 0, 0, 0, 0, 0, 0, 4, () => LicenseInfoList, 0, 0, () => PackageVersionOrigin$]
];
var PackageVersionError$ = [3, n0, _PVE,
    0,
    [_eCr, _eMr],
    [0, 0]
];
var PackageVersionOrigin$ = [3, n0, _PVO,
    0,
    [_dEP, _oT],
    [() => DomainEntryPoint$, 0]
];
var PackageVersionSummary$ = [3, n0, _PVS,
    0,
    [_ve, _sta, _rev, _or],
    [0, 0, 0, () => PackageVersionOrigin$], 2
];
var PublishPackageVersionRequest$ = [3, n0, _PPVR,
    0,
    [_d, _re, _f, _p, _pV, _aC, _aN, _aSHA, _dO, _na, _un],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], [0, { [_hQ]: _ve }], [() => Asset, 16], [0, { [_hQ]: _as }], [0, { [_hH]: _xacs }], [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], [2, { [_hQ]: _un }]], 8
];
var PublishPackageVersionResult$ = [3, n0, _PPVRu,
    0,
    [_f, _na, _p, _ve, _vRe, _sta, _as],
    [0, 0, 0, 0, 0, 0, () => AssetSummary$]
];
var PutDomainPermissionsPolicyRequest$ = [3, n0, _PDPPR,
    0,
    [_d, _pD, _dO, _pR],
    [0, 0, 0, 0], 2
];
var PutDomainPermissionsPolicyResult$ = [3, n0, _PDPPRu,
    0,
    [_po],
    [() => ResourcePolicy$]
];
var PutPackageOriginConfigurationRequest$ = [3, n0, _PPOCR,
    0,
    [_d, _re, _f, _p, _res, _dO, _na],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], () => PackageOriginRestrictions$, [0, { [_hQ]: _do }], [0, { [_hQ]: _na }]], 5
];
var PutPackageOriginConfigurationResult$ = [3, n0, _PPOCRu,
    0,
    [_oC],
    [() => PackageOriginConfiguration$]
];
var PutRepositoryPermissionsPolicyRequest$ = [3, n0, _PRPPR,
    0,
    [_d, _re, _pD, _dO, _pR],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], 0, [0, { [_hQ]: _do }], 0], 3
];
var PutRepositoryPermissionsPolicyResult$ = [3, n0, _PRPPRu,
    0,
    [_po],
    [() => ResourcePolicy$]
];
var RepositoryDescription$ = [3, n0, _RD,
    0,
    [_n, _aA, _dN, _dO, _a, _de, _u, _eCx, _cT],
    [0, 0, 0, 0, 0, 0, () => UpstreamRepositoryInfoList, () => RepositoryExternalConnectionInfoList, 4]
];
var RepositoryExternalConnectionInfo$ = [3, n0, _RECI,
    0,
    [_eCN, _pF, _sta],
    [0, 0, 0]
];
var RepositorySummary$ = [3, n0, _RS,
    0,
    [_n, _aA, _dN, _dO, _a, _de, _cT],
    [0, 0, 0, 0, 0, 0, 4]
];
var ResourcePolicy$ = [3, n0, _RP,
    0,
    [_rA, _rev, _doc],
    [0, 0, 0]
];
var SuccessfulPackageVersionInfo$ = [3, n0, _SPVI,
    0,
    [_rev, _sta],
    [0, 0]
];
var Tag$ = [3, n0, _T,
    0,
    [_k, _va],
    [0, 0], 2
];
var TagResourceRequest$ = [3, n0, _TRR,
    0,
    [_rA, _t],
    [[0, { [_hQ]: _rA }], () => TagList], 2
];
var TagResourceResult$ = [3, n0, _TRRa,
    0,
    [],
    []
];
var UntagResourceRequest$ = [3, n0, _URR,
    0,
    [_rA, _tK],
    [[0, { [_hQ]: _rA }], 64 | 0], 2
];
var UntagResourceResult$ = [3, n0, _URRn,
    0,
    [],
    []
];
var UpdatePackageGroupOriginConfigurationRequest$ = [3, n0, _UPGOCR,
    0,
    [_d, _pG, _dO, _res, _aAR, _rAR],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _pg }], [0, { [_hQ]: _do }], 128 | 0, () => PackageGroupAllowedRepositoryList, () => PackageGroupAllowedRepositoryList], 2
];
var UpdatePackageGroupOriginConfigurationResult$ = [3, n0, _UPGOCRp,
    0,
    [_pG, _aRU],
    [() => PackageGroupDescription$, [2, n0, _PGARU, 0, 0, [2, n0, _PGARUa, 0, 0, 64 | 0]]]
];
var UpdatePackageGroupRequest$ = [3, n0, _UPGR,
    0,
    [_d, _pG, _dO, _cI, _de],
    [[0, { [_hQ]: _d }], 0, [0, { [_hQ]: _do }], 0, 0], 2
];
var UpdatePackageGroupResult$ = [3, n0, _UPGRp,
    0,
    [_pG],
    [() => PackageGroupDescription$]
];
var UpdatePackageVersionsStatusRequest$ = [3, n0, _UPVSR,
    0,
    [_d, _re, _f, _p, _v, _tS, _dO, _na, _vR, _eS],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _f }], [0, { [_hQ]: _p }], 64 | 0, 0, [0, { [_hQ]: _do }], [0, { [_hQ]: _na }], 128 | 0, 0], 6
];
var UpdatePackageVersionsStatusResult$ = [3, n0, _UPVSRp,
    0,
    [_sV, _fV],
    [() => SuccessfulPackageVersionInfoMap, () => PackageVersionErrorMap]
];
var UpdateRepositoryRequest$ = [3, n0, _URRp,
    0,
    [_d, _re, _dO, _de, _u],
    [[0, { [_hQ]: _d }], [0, { [_hQ]: _re }], [0, { [_hQ]: _do }], 0, () => UpstreamRepositoryList], 2
];
var UpdateRepositoryResult$ = [3, n0, _URRpd,
    0,
    [_re],
    [() => RepositoryDescription$]
];
var UpstreamRepository$ = [3, n0, _UR,
    0,
    [_rN],
    [0], 1
];
var UpstreamRepositoryInfo$ = [3, n0, _URI,
    0,
    [_rN],
    [0]
];
var AssetSummaryList = [1, n0, _ASL,
    0, () => AssetSummary$
];
var AssociatedPackageList = [1, n0, _APL,
    0, () => AssociatedPackage$
];
var DomainSummaryList = [1, n0, _DSL,
    0, () => DomainSummary$
];
var LicenseInfoList = [1, n0, _LIL,
    0, () => LicenseInfo$
];
var PackageDependencyList = [1, n0, _PDL,
    0, () => PackageDependency$
];
var PackageGroupAllowedRepositoryList = [1, n0, _PGARL,
    0, () => PackageGroupAllowedRepository$
];
var PackageGroupSummaryList = [1, n0, _PGSL,
    0, () => PackageGroupSummary$
];
var PackageSummaryList = [1, n0, _PSL,
    0, () => PackageSummary$
];
var PackageVersionSummaryList = [1, n0, _PVSL,
    0, () => PackageVersionSummary$
];
var RepositoryExternalConnectionInfoList = [1, n0, _RECIL,
    0, () => RepositoryExternalConnectionInfo$
];
var RepositorySummaryList = [1, n0, _RSL,
    0, () => RepositorySummary$
];
var TagList = [1, n0, _TL,
    0, () => Tag$
];
var UpstreamRepositoryInfoList = [1, n0, _URIL,
    0, () => UpstreamRepositoryInfo$
];
var UpstreamRepositoryList = [1, n0, _URL,
    0, () => UpstreamRepository$
];
var PackageGroupOriginRestrictions = [2, n0, _PGORa,
    0, 0, () => PackageGroupOriginRestriction$
];
var PackageVersionErrorMap = [2, n0, _PVEM,
    0, 0, () => PackageVersionError$
];
var SuccessfulPackageVersionInfoMap = [2, n0, _SPVIM,
    0, 0, () => SuccessfulPackageVersionInfo$
];
var AssociateExternalConnection$ = [9, n0, _AEC,
    { [_ht]: ["POST", "/v1/repository/external-connection", 200] }, () => AssociateExternalConnectionRequest$, () => AssociateExternalConnectionResult$
];
var CopyPackageVersions$ = [9, n0, _CPV,
    { [_ht]: ["POST", "/v1/package/versions/copy", 200] }, () => CopyPackageVersionsRequest$, () => CopyPackageVersionsResult$
];
var CreateDomain$ = [9, n0, _CD,
    { [_ht]: ["POST", "/v1/domain", 200] }, () => CreateDomainRequest$, () => CreateDomainResult$
];
var CreatePackageGroup$ = [9, n0, _CPG,
    { [_ht]: ["POST", "/v1/package-group", 200] }, () => CreatePackageGroupRequest$, () => CreatePackageGroupResult$
];
var CreateRepository$ = [9, n0, _CR,
    { [_ht]: ["POST", "/v1/repository", 200] }, () => CreateRepositoryRequest$, () => CreateRepositoryResult$
];
var DeleteDomain$ = [9, n0, _DDe,
    { [_ht]: ["DELETE", "/v1/domain", 200] }, () => DeleteDomainRequest$, () => DeleteDomainResult$
];
var DeleteDomainPermissionsPolicy$ = [9, n0, _DDPP,
    { [_ht]: ["DELETE", "/v1/domain/permissions/policy", 200] }, () => DeleteDomainPermissionsPolicyRequest$, () => DeleteDomainPermissionsPolicyResult$
];
var DeletePackage$ = [9, n0, _DP,
    { [_ht]: ["DELETE", "/v1/package", 200] }, () => DeletePackageRequest$, () => DeletePackageResult$
];
var DeletePackageGroup$ = [9, n0, _DPG,
    { [_ht]: ["DELETE", "/v1/package-group", 200] }, () => DeletePackageGroupRequest$, () => DeletePackageGroupResult$
];
var DeletePackageVersions$ = [9, n0, _DPV,
    { [_ht]: ["POST", "/v1/package/versions/delete", 200] }, () => DeletePackageVersionsRequest$, () => DeletePackageVersionsResult$
];
var DeleteRepository$ = [9, n0, _DR,
    { [_ht]: ["DELETE", "/v1/repository", 200] }, () => DeleteRepositoryRequest$, () => DeleteRepositoryResult$
];
var DeleteRepositoryPermissionsPolicy$ = [9, n0, _DRPP,
    { [_ht]: ["DELETE", "/v1/repository/permissions/policies", 200] }, () => DeleteRepositoryPermissionsPolicyRequest$, () => DeleteRepositoryPermissionsPolicyResult$
];
var DescribeDomain$ = [9, n0, _DDes,
    { [_ht]: ["GET", "/v1/domain", 200] }, () => DescribeDomainRequest$, () => DescribeDomainResult$
];
var DescribePackage$ = [9, n0, _DPe,
    { [_ht]: ["GET", "/v1/package", 200] }, () => DescribePackageRequest$, () => DescribePackageResult$
];
var DescribePackageGroup$ = [9, n0, _DPGe,
    { [_ht]: ["GET", "/v1/package-group", 200] }, () => DescribePackageGroupRequest$, () => DescribePackageGroupResult$
];
var DescribePackageVersion$ = [9, n0, _DPVe,
    { [_ht]: ["GET", "/v1/package/version", 200] }, () => DescribePackageVersionRequest$, () => DescribePackageVersionResult$
];
var DescribeRepository$ = [9, n0, _DRe,
    { [_ht]: ["GET", "/v1/repository", 200] }, () => DescribeRepositoryRequest$, () => DescribeRepositoryResult$
];
var DisassociateExternalConnection$ = [9, n0, _DEC,
    { [_ht]: ["DELETE", "/v1/repository/external-connection", 200] }, () => DisassociateExternalConnectionRequest$, () => DisassociateExternalConnectionResult$
];
var DisposePackageVersions$ = [9, n0, _DPVi,
    { [_ht]: ["POST", "/v1/package/versions/dispose", 200] }, () => DisposePackageVersionsRequest$, () => DisposePackageVersionsResult$
];
var GetAssociatedPackageGroup$ = [9, n0, _GAPG,
    { [_ht]: ["GET", "/v1/get-associated-package-group", 200] }, () => GetAssociatedPackageGroupRequest$, () => GetAssociatedPackageGroupResult$
];
var GetAuthorizationToken$ = [9, n0, _GAT,
    { [_ht]: ["POST", "/v1/authorization-token", 200] }, () => GetAuthorizationTokenRequest$, () => GetAuthorizationTokenResult$
];
var GetDomainPermissionsPolicy$ = [9, n0, _GDPP,
    { [_ht]: ["GET", "/v1/domain/permissions/policy", 200] }, () => GetDomainPermissionsPolicyRequest$, () => GetDomainPermissionsPolicyResult$
];
var GetPackageVersionAsset$ = [9, n0, _GPVA,
    { [_ht]: ["GET", "/v1/package/version/asset", 200] }, () => GetPackageVersionAssetRequest$, () => GetPackageVersionAssetResult$
];
var GetPackageVersionReadme$ = [9, n0, _GPVR,
    { [_ht]: ["GET", "/v1/package/version/readme", 200] }, () => GetPackageVersionReadmeRequest$, () => GetPackageVersionReadmeResult$
];
var GetRepositoryEndpoint$ = [9, n0, _GRE,
    { [_ht]: ["GET", "/v1/repository/endpoint", 200] }, () => GetRepositoryEndpointRequest$, () => GetRepositoryEndpointResult$
];
var GetRepositoryPermissionsPolicy$ = [9, n0, _GRPP,
    { [_ht]: ["GET", "/v1/repository/permissions/policy", 200] }, () => GetRepositoryPermissionsPolicyRequest$, () => GetRepositoryPermissionsPolicyResult$
];
var ListAllowedRepositoriesForGroup$ = [9, n0, _LARFG,
    { [_ht]: ["GET", "/v1/package-group-allowed-repositories", 200] }, () => ListAllowedRepositoriesForGroupRequest$, () => ListAllowedRepositoriesForGroupResult$
];
var ListAssociatedPackages$ = [9, n0, _LAP,
    { [_ht]: ["GET", "/v1/list-associated-packages", 200] }, () => ListAssociatedPackagesRequest$, () => ListAssociatedPackagesResult$
];
var ListDomains$ = [9, n0, _LD,
    { [_ht]: ["POST", "/v1/domains", 200] }, () => ListDomainsRequest$, () => ListDomainsResult$
];
var ListPackageGroups$ = [9, n0, _LPG,
    { [_ht]: ["POST", "/v1/package-groups", 200] }, () => ListPackageGroupsRequest$, () => ListPackageGroupsResult$
];
var ListPackages$ = [9, n0, _LP,
    { [_ht]: ["POST", "/v1/packages", 200] }, () => ListPackagesRequest$, () => ListPackagesResult$
];
var ListPackageVersionAssets$ = [9, n0, _LPVA,
    { [_ht]: ["POST", "/v1/package/version/assets", 200] }, () => ListPackageVersionAssetsRequest$, () => ListPackageVersionAssetsResult$
];
var ListPackageVersionDependencies$ = [9, n0, _LPVD,
    { [_ht]: ["POST", "/v1/package/version/dependencies", 200] }, () => ListPackageVersionDependenciesRequest$, () => ListPackageVersionDependenciesResult$
];
var ListPackageVersions$ = [9, n0, _LPV,
    { [_ht]: ["POST", "/v1/package/versions", 200] }, () => ListPackageVersionsRequest$, () => ListPackageVersionsResult$
];
var ListRepositories$ = [9, n0, _LR,
    { [_ht]: ["POST", "/v1/repositories", 200] }, () => ListRepositoriesRequest$, () => ListRepositoriesResult$
];
var ListRepositoriesInDomain$ = [9, n0, _LRID,
    { [_ht]: ["POST", "/v1/domain/repositories", 200] }, () => ListRepositoriesInDomainRequest$, () => ListRepositoriesInDomainResult$
];
var ListSubPackageGroups$ = [9, n0, _LSPG,
    { [_ht]: ["POST", "/v1/package-groups/sub-groups", 200] }, () => ListSubPackageGroupsRequest$, () => ListSubPackageGroupsResult$
];
var ListTagsForResource$ = [9, n0, _LTFR,
    { [_ht]: ["POST", "/v1/tags", 200] }, () => ListTagsForResourceRequest$, () => ListTagsForResourceResult$
];
var PublishPackageVersion$ = [9, n0, _PPV,
    { [_ht]: ["POST", "/v1/package/version/publish", 200] }, () => PublishPackageVersionRequest$, () => PublishPackageVersionResult$
];
var PutDomainPermissionsPolicy$ = [9, n0, _PDPP,
    { [_ht]: ["PUT", "/v1/domain/permissions/policy", 200] }, () => PutDomainPermissionsPolicyRequest$, () => PutDomainPermissionsPolicyResult$
];
var PutPackageOriginConfiguration$ = [9, n0, _PPOC,
    { [_ht]: ["POST", "/v1/package", 200] }, () => PutPackageOriginConfigurationRequest$, () => PutPackageOriginConfigurationResult$
];
var PutRepositoryPermissionsPolicy$ = [9, n0, _PRPP,
    { [_ht]: ["PUT", "/v1/repository/permissions/policy", 200] }, () => PutRepositoryPermissionsPolicyRequest$, () => PutRepositoryPermissionsPolicyResult$
];
var TagResource$ = [9, n0, _TR,
    { [_ht]: ["POST", "/v1/tag", 200] }, () => TagResourceRequest$, () => TagResourceResult$
];
var UntagResource$ = [9, n0, _URn,
    { [_ht]: ["POST", "/v1/untag", 200] }, () => UntagResourceRequest$, () => UntagResourceResult$
];
var UpdatePackageGroup$ = [9, n0, _UPG,
    { [_ht]: ["PUT", "/v1/package-group", 200] }, () => UpdatePackageGroupRequest$, () => UpdatePackageGroupResult$
];
var UpdatePackageGroupOriginConfiguration$ = [9, n0, _UPGOC,
    { [_ht]: ["PUT", "/v1/package-group-origin-configuration", 200] }, () => UpdatePackageGroupOriginConfigurationRequest$, () => UpdatePackageGroupOriginConfigurationResult$
];
var UpdatePackageVersionsStatus$ = [9, n0, _UPVS,
    { [_ht]: ["POST", "/v1/package/versions/update_status", 200] }, () => UpdatePackageVersionsStatusRequest$, () => UpdatePackageVersionsStatusResult$
];
var UpdateRepository$ = [9, n0, _URp,
    { [_ht]: ["PUT", "/v1/repository", 200] }, () => UpdateRepositoryRequest$, () => UpdateRepositoryResult$
];

const getRuntimeConfig$1 = (config) => {
    return {
        apiVersion: "2018-09-22",
        base64Decoder: config?.base64Decoder ?? fromBase64,
        base64Encoder: config?.base64Encoder ?? toBase64,
        disableHostPrefix: config?.disableHostPrefix ?? false,
        endpointProvider: config?.endpointProvider ?? defaultEndpointResolver,
        extensions: config?.extensions ?? [],
        httpAuthSchemeProvider: config?.httpAuthSchemeProvider ?? defaultCodeartifactHttpAuthSchemeProvider,
        httpAuthSchemes: config?.httpAuthSchemes ?? [
            {
                schemeId: "aws.auth#sigv4",
                identityProvider: (ipc) => ipc.getIdentityProvider("aws.auth#sigv4"),
                signer: new AwsSdkSigV4Signer(),
            },
        ],
        logger: config?.logger ?? new NoOpLogger(),
        protocol: config?.protocol ?? AwsRestJsonProtocol,
        protocolSettings: config?.protocolSettings ?? {
            defaultNamespace: "com.amazonaws.codeartifact",
            errorTypeRegistries,
            version: "2018-09-22",
            serviceTarget: "CodeArtifactControlPlaneService",
        },
        sdkStreamMixin: config?.sdkStreamMixin ?? sdkStreamMixin,
        serviceId: config?.serviceId ?? "codeartifact",
        sha256: config?.sha256 ?? Sha256,
        urlParser: config?.urlParser ?? parseUrl,
        utf8Decoder: config?.utf8Decoder ?? fromUtf8,
        utf8Encoder: config?.utf8Encoder ?? toUtf8,
    };
};

const getRuntimeConfig = (config) => {
    emitWarningIfUnsupportedVersion(process.version);
    const defaultsMode = resolveDefaultsModeConfig(config);
    const defaultConfigProvider = () => defaultsMode().then(loadConfigsForDefaultMode);
    const clientSharedValues = getRuntimeConfig$1(config);
    emitWarningIfUnsupportedVersion$1(process.version);
    const loaderConfig = {
        profile: config?.profile,
        logger: clientSharedValues.logger,
    };
    return {
        ...clientSharedValues,
        ...config,
        runtime: "node",
        defaultsMode,
        authSchemePreference: config?.authSchemePreference ?? loadConfig(NODE_AUTH_SCHEME_PREFERENCE_OPTIONS, loaderConfig),
        bodyLengthChecker: config?.bodyLengthChecker ?? calculateBodyLength,
        credentialDefaultProvider: config?.credentialDefaultProvider ?? defaultProvider,
        defaultUserAgentProvider: config?.defaultUserAgentProvider ?? createDefaultUserAgentProvider({ serviceId: clientSharedValues.serviceId, clientVersion: packageInfo.version }),
        maxAttempts: config?.maxAttempts ?? loadConfig(NODE_MAX_ATTEMPT_CONFIG_OPTIONS, config),
        region: config?.region ?? loadConfig(NODE_REGION_CONFIG_OPTIONS, { ...NODE_REGION_CONFIG_FILE_OPTIONS, ...loaderConfig }),
        requestHandler: NodeHttpHandler.create(config?.requestHandler ?? defaultConfigProvider),
        retryMode: config?.retryMode ??
            loadConfig({
                ...NODE_RETRY_MODE_CONFIG_OPTIONS,
                default: async () => (await defaultConfigProvider()).retryMode || DEFAULT_RETRY_MODE,
            }, config),
        streamCollector: config?.streamCollector ?? streamCollector,
        useDualstackEndpoint: config?.useDualstackEndpoint ?? loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS, loaderConfig),
        useFipsEndpoint: config?.useFipsEndpoint ?? loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS, loaderConfig),
        userAgentAppId: config?.userAgentAppId ?? loadConfig(NODE_APP_ID_CONFIG_OPTIONS, loaderConfig),
    };
};

const getHttpAuthExtensionConfiguration = (runtimeConfig) => {
    const _httpAuthSchemes = runtimeConfig.httpAuthSchemes;
    let _httpAuthSchemeProvider = runtimeConfig.httpAuthSchemeProvider;
    let _credentials = runtimeConfig.credentials;
    return {
        setHttpAuthScheme(httpAuthScheme) {
            const index = _httpAuthSchemes.findIndex((scheme) => scheme.schemeId === httpAuthScheme.schemeId);
            if (index === -1) {
                _httpAuthSchemes.push(httpAuthScheme);
            }
            else {
                _httpAuthSchemes.splice(index, 1, httpAuthScheme);
            }
        },
        httpAuthSchemes() {
            return _httpAuthSchemes;
        },
        setHttpAuthSchemeProvider(httpAuthSchemeProvider) {
            _httpAuthSchemeProvider = httpAuthSchemeProvider;
        },
        httpAuthSchemeProvider() {
            return _httpAuthSchemeProvider;
        },
        setCredentials(credentials) {
            _credentials = credentials;
        },
        credentials() {
            return _credentials;
        },
    };
};
const resolveHttpAuthRuntimeConfig = (config) => {
    return {
        httpAuthSchemes: config.httpAuthSchemes(),
        httpAuthSchemeProvider: config.httpAuthSchemeProvider(),
        credentials: config.credentials(),
    };
};

const resolveRuntimeExtensions = (runtimeConfig, extensions) => {
    const extensionConfiguration = Object.assign(getAwsRegionExtensionConfiguration(runtimeConfig), getDefaultExtensionConfiguration(runtimeConfig), getHttpHandlerExtensionConfiguration(runtimeConfig), getHttpAuthExtensionConfiguration(runtimeConfig));
    extensions.forEach((extension) => extension.configure(extensionConfiguration));
    return Object.assign(runtimeConfig, resolveAwsRegionExtensionConfiguration(extensionConfiguration), resolveDefaultRuntimeConfig(extensionConfiguration), resolveHttpHandlerRuntimeConfig(extensionConfiguration), resolveHttpAuthRuntimeConfig(extensionConfiguration));
};

class CodeartifactClient extends Client {
    config;
    constructor(...[configuration]) {
        const _config_0 = getRuntimeConfig(configuration || {});
        super(_config_0);
        this.initConfig = _config_0;
        const _config_1 = resolveClientEndpointParameters(_config_0);
        const _config_2 = resolveUserAgentConfig(_config_1);
        const _config_3 = resolveRetryConfig(_config_2);
        const _config_4 = resolveRegionConfig(_config_3);
        const _config_5 = resolveHostHeaderConfig(_config_4);
        const _config_6 = resolveEndpointConfig(_config_5);
        const _config_7 = resolveHttpAuthSchemeConfig(_config_6);
        const _config_8 = resolveRuntimeExtensions(_config_7, configuration?.extensions || []);
        this.config = _config_8;
        this.middlewareStack.use(getSchemaSerdePlugin(this.config));
        this.middlewareStack.use(getUserAgentPlugin(this.config));
        this.middlewareStack.use(getRetryPlugin(this.config));
        this.middlewareStack.use(getContentLengthPlugin(this.config));
        this.middlewareStack.use(getHostHeaderPlugin(this.config));
        this.middlewareStack.use(getLoggerPlugin(this.config));
        this.middlewareStack.use(getRecursionDetectionPlugin(this.config));
        this.middlewareStack.use(getHttpAuthSchemeEndpointRuleSetPlugin(this.config, {
            httpAuthSchemeParametersProvider: defaultCodeartifactHttpAuthSchemeParametersProvider,
            identityProviderConfigProvider: async (config) => new DefaultIdentityProviderConfig({
                "aws.auth#sigv4": config.credentials,
            }),
        }));
        this.middlewareStack.use(getHttpSigningPlugin(this.config));
    }
    destroy() {
        super.destroy();
    }
}

const command = makeBuilder(commonParams, "CodeArtifactControlPlaneService", "CodeartifactClient", getEndpointPlugin);
const _ep0 = {};
const _mw0 = (Command, cs, config, o) => [];

class AssociateExternalConnectionCommand extends command(_ep0, _mw0, "AssociateExternalConnection", AssociateExternalConnection$) {
}

class CopyPackageVersionsCommand extends command(_ep0, _mw0, "CopyPackageVersions", CopyPackageVersions$) {
}

class CreateDomainCommand extends command(_ep0, _mw0, "CreateDomain", CreateDomain$) {
}

class CreatePackageGroupCommand extends command(_ep0, _mw0, "CreatePackageGroup", CreatePackageGroup$) {
}

class CreateRepositoryCommand extends command(_ep0, _mw0, "CreateRepository", CreateRepository$) {
}

class DeleteDomainCommand extends command(_ep0, _mw0, "DeleteDomain", DeleteDomain$) {
}

class DeleteDomainPermissionsPolicyCommand extends command(_ep0, _mw0, "DeleteDomainPermissionsPolicy", DeleteDomainPermissionsPolicy$) {
}

class DeletePackageCommand extends command(_ep0, _mw0, "DeletePackage", DeletePackage$) {
}

class DeletePackageGroupCommand extends command(_ep0, _mw0, "DeletePackageGroup", DeletePackageGroup$) {
}

class DeletePackageVersionsCommand extends command(_ep0, _mw0, "DeletePackageVersions", DeletePackageVersions$) {
}

class DeleteRepositoryCommand extends command(_ep0, _mw0, "DeleteRepository", DeleteRepository$) {
}

class DeleteRepositoryPermissionsPolicyCommand extends command(_ep0, _mw0, "DeleteRepositoryPermissionsPolicy", DeleteRepositoryPermissionsPolicy$) {
}

class DescribeDomainCommand extends command(_ep0, _mw0, "DescribeDomain", DescribeDomain$) {
}

class DescribePackageCommand extends command(_ep0, _mw0, "DescribePackage", DescribePackage$) {
}

class DescribePackageGroupCommand extends command(_ep0, _mw0, "DescribePackageGroup", DescribePackageGroup$) {
}

class DescribePackageVersionCommand extends command(_ep0, _mw0, "DescribePackageVersion", DescribePackageVersion$) {
}

class DescribeRepositoryCommand extends command(_ep0, _mw0, "DescribeRepository", DescribeRepository$) {
}

class DisassociateExternalConnectionCommand extends command(_ep0, _mw0, "DisassociateExternalConnection", DisassociateExternalConnection$) {
}

class DisposePackageVersionsCommand extends command(_ep0, _mw0, "DisposePackageVersions", DisposePackageVersions$) {
}

class GetAssociatedPackageGroupCommand extends command(_ep0, _mw0, "GetAssociatedPackageGroup", GetAssociatedPackageGroup$) {
}

class GetAuthorizationTokenCommand extends command(_ep0, _mw0, "GetAuthorizationToken", GetAuthorizationToken$) {
}

class GetDomainPermissionsPolicyCommand extends command(_ep0, _mw0, "GetDomainPermissionsPolicy", GetDomainPermissionsPolicy$) {
}

class GetPackageVersionAssetCommand extends command(_ep0, _mw0, "GetPackageVersionAsset", GetPackageVersionAsset$) {
}

class GetPackageVersionReadmeCommand extends command(_ep0, _mw0, "GetPackageVersionReadme", GetPackageVersionReadme$) {
}

class GetRepositoryEndpointCommand extends command(_ep0, _mw0, "GetRepositoryEndpoint", GetRepositoryEndpoint$) {
}

class GetRepositoryPermissionsPolicyCommand extends command(_ep0, _mw0, "GetRepositoryPermissionsPolicy", GetRepositoryPermissionsPolicy$) {
}

class ListAllowedRepositoriesForGroupCommand extends command(_ep0, _mw0, "ListAllowedRepositoriesForGroup", ListAllowedRepositoriesForGroup$) {
}

class ListAssociatedPackagesCommand extends command(_ep0, _mw0, "ListAssociatedPackages", ListAssociatedPackages$) {
}

class ListDomainsCommand extends command(_ep0, _mw0, "ListDomains", ListDomains$) {
}

class ListPackageGroupsCommand extends command(_ep0, _mw0, "ListPackageGroups", ListPackageGroups$) {
}

class ListPackagesCommand extends command(_ep0, _mw0, "ListPackages", ListPackages$) {
}

class ListPackageVersionAssetsCommand extends command(_ep0, _mw0, "ListPackageVersionAssets", ListPackageVersionAssets$) {
}

class ListPackageVersionDependenciesCommand extends command(_ep0, _mw0, "ListPackageVersionDependencies", ListPackageVersionDependencies$) {
}

class ListPackageVersionsCommand extends command(_ep0, _mw0, "ListPackageVersions", ListPackageVersions$) {
}

class ListRepositoriesCommand extends command(_ep0, _mw0, "ListRepositories", ListRepositories$) {
}

class ListRepositoriesInDomainCommand extends command(_ep0, _mw0, "ListRepositoriesInDomain", ListRepositoriesInDomain$) {
}

class ListSubPackageGroupsCommand extends command(_ep0, _mw0, "ListSubPackageGroups", ListSubPackageGroups$) {
}

class ListTagsForResourceCommand extends command(_ep0, _mw0, "ListTagsForResource", ListTagsForResource$) {
}

class PublishPackageVersionCommand extends command(_ep0, _mw0, "PublishPackageVersion", PublishPackageVersion$) {
}

class PutDomainPermissionsPolicyCommand extends command(_ep0, _mw0, "PutDomainPermissionsPolicy", PutDomainPermissionsPolicy$) {
}

class PutPackageOriginConfigurationCommand extends command(_ep0, _mw0, "PutPackageOriginConfiguration", PutPackageOriginConfiguration$) {
}

class PutRepositoryPermissionsPolicyCommand extends command(_ep0, _mw0, "PutRepositoryPermissionsPolicy", PutRepositoryPermissionsPolicy$) {
}

class TagResourceCommand extends command(_ep0, _mw0, "TagResource", TagResource$) {
}

class UntagResourceCommand extends command(_ep0, _mw0, "UntagResource", UntagResource$) {
}

class UpdatePackageGroupCommand extends command(_ep0, _mw0, "UpdatePackageGroup", UpdatePackageGroup$) {
}

class UpdatePackageGroupOriginConfigurationCommand extends command(_ep0, _mw0, "UpdatePackageGroupOriginConfiguration", UpdatePackageGroupOriginConfiguration$) {
}

class UpdatePackageVersionsStatusCommand extends command(_ep0, _mw0, "UpdatePackageVersionsStatus", UpdatePackageVersionsStatus$) {
}

class UpdateRepositoryCommand extends command(_ep0, _mw0, "UpdateRepository", UpdateRepository$) {
}

const paginateListAllowedRepositoriesForGroup = createPaginator(CodeartifactClient, ListAllowedRepositoriesForGroupCommand, "nextToken", "nextToken", "maxResults");

const paginateListAssociatedPackages = createPaginator(CodeartifactClient, ListAssociatedPackagesCommand, "nextToken", "nextToken", "maxResults");

const paginateListDomains = createPaginator(CodeartifactClient, ListDomainsCommand, "nextToken", "nextToken", "maxResults");

const paginateListPackageGroups = createPaginator(CodeartifactClient, ListPackageGroupsCommand, "nextToken", "nextToken", "maxResults");

const paginateListPackages = createPaginator(CodeartifactClient, ListPackagesCommand, "nextToken", "nextToken", "maxResults");

const paginateListPackageVersionAssets = createPaginator(CodeartifactClient, ListPackageVersionAssetsCommand, "nextToken", "nextToken", "maxResults");

const paginateListPackageVersions = createPaginator(CodeartifactClient, ListPackageVersionsCommand, "nextToken", "nextToken", "maxResults");

const paginateListRepositoriesInDomain = createPaginator(CodeartifactClient, ListRepositoriesInDomainCommand, "nextToken", "nextToken", "maxResults");

const paginateListRepositories = createPaginator(CodeartifactClient, ListRepositoriesCommand, "nextToken", "nextToken", "maxResults");

const paginateListSubPackageGroups = createPaginator(CodeartifactClient, ListSubPackageGroupsCommand, "nextToken", "nextToken", "maxResults");

const commands = {
    AssociateExternalConnectionCommand,
    CopyPackageVersionsCommand,
    CreateDomainCommand,
    CreatePackageGroupCommand,
    CreateRepositoryCommand,
    DeleteDomainCommand,
    DeleteDomainPermissionsPolicyCommand,
    DeletePackageCommand,
    DeletePackageGroupCommand,
    DeletePackageVersionsCommand,
    DeleteRepositoryCommand,
    DeleteRepositoryPermissionsPolicyCommand,
    DescribeDomainCommand,
    DescribePackageCommand,
    DescribePackageGroupCommand,
    DescribePackageVersionCommand,
    DescribeRepositoryCommand,
    DisassociateExternalConnectionCommand,
    DisposePackageVersionsCommand,
    GetAssociatedPackageGroupCommand,
    GetAuthorizationTokenCommand,
    GetDomainPermissionsPolicyCommand,
    GetPackageVersionAssetCommand,
    GetPackageVersionReadmeCommand,
    GetRepositoryEndpointCommand,
    GetRepositoryPermissionsPolicyCommand,
    ListAllowedRepositoriesForGroupCommand,
    ListAssociatedPackagesCommand,
    ListDomainsCommand,
    ListPackageGroupsCommand,
    ListPackagesCommand,
    ListPackageVersionAssetsCommand,
    ListPackageVersionDependenciesCommand,
    ListPackageVersionsCommand,
    ListRepositoriesCommand,
    ListRepositoriesInDomainCommand,
    ListSubPackageGroupsCommand,
    ListTagsForResourceCommand,
    PublishPackageVersionCommand,
    PutDomainPermissionsPolicyCommand,
    PutPackageOriginConfigurationCommand,
    PutRepositoryPermissionsPolicyCommand,
    TagResourceCommand,
    UntagResourceCommand,
    UpdatePackageGroupCommand,
    UpdatePackageGroupOriginConfigurationCommand,
    UpdatePackageVersionsStatusCommand,
    UpdateRepositoryCommand,
};
const paginators = {
    paginateListAllowedRepositoriesForGroup,
    paginateListAssociatedPackages,
    paginateListDomains,
    paginateListPackageGroups,
    paginateListPackages,
    paginateListPackageVersionAssets,
    paginateListPackageVersions,
    paginateListRepositories,
    paginateListRepositoriesInDomain,
    paginateListSubPackageGroups,
};
class Codeartifact extends CodeartifactClient {
}
createAggregatedClient(commands, Codeartifact, { paginators });

const AllowPublish = {
    ALLOW: "ALLOW",
    BLOCK: "BLOCK",
};
const AllowUpstream = {
    ALLOW: "ALLOW",
    BLOCK: "BLOCK",
};
const HashAlgorithm = {
    MD5: "MD5",
    SHA1: "SHA-1",
    SHA256: "SHA-256",
    SHA512: "SHA-512",
};
const PackageGroupAssociationType = {
    STRONG: "STRONG",
    WEAK: "WEAK",
};
const PackageFormat = {
    CARGO: "cargo",
    GENERIC: "generic",
    MAVEN: "maven",
    NPM: "npm",
    NUGET: "nuget",
    PYPI: "pypi",
    RUBY: "ruby",
    SWIFT: "swift",
};
const ExternalConnectionStatus = {
    AVAILABLE: "Available",
};
const ResourceType = {
    ASSET: "asset",
    DOMAIN: "domain",
    PACKAGE: "package",
    PACKAGE_VERSION: "package-version",
    REPOSITORY: "repository",
};
const ValidationExceptionReason = {
    CANNOT_PARSE: "CANNOT_PARSE",
    ENCRYPTION_KEY_ERROR: "ENCRYPTION_KEY_ERROR",
    FIELD_VALIDATION_FAILED: "FIELD_VALIDATION_FAILED",
    OTHER: "OTHER",
    UNKNOWN_OPERATION: "UNKNOWN_OPERATION",
};
const PackageVersionErrorCode = {
    ALREADY_EXISTS: "ALREADY_EXISTS",
    MISMATCHED_REVISION: "MISMATCHED_REVISION",
    MISMATCHED_STATUS: "MISMATCHED_STATUS",
    NOT_ALLOWED: "NOT_ALLOWED",
    NOT_FOUND: "NOT_FOUND",
    SKIPPED: "SKIPPED",
};
const PackageVersionStatus = {
    ARCHIVED: "Archived",
    DELETED: "Deleted",
    DISPOSED: "Disposed",
    PUBLISHED: "Published",
    UNFINISHED: "Unfinished",
    UNLISTED: "Unlisted",
};
const DomainStatus = {
    ACTIVE: "Active",
    DELETED: "Deleted",
};
const PackageGroupOriginRestrictionType = {
    EXTERNAL_UPSTREAM: "EXTERNAL_UPSTREAM",
    INTERNAL_UPSTREAM: "INTERNAL_UPSTREAM",
    PUBLISH: "PUBLISH",
};
const PackageGroupOriginRestrictionMode = {
    ALLOW: "ALLOW",
    ALLOW_SPECIFIC_REPOSITORIES: "ALLOW_SPECIFIC_REPOSITORIES",
    BLOCK: "BLOCK",
    INHERIT: "INHERIT",
};
const PackageVersionOriginType = {
    EXTERNAL: "EXTERNAL",
    INTERNAL: "INTERNAL",
    UNKNOWN: "UNKNOWN",
};
const EndpointType = {
    DUALSTACK: "dualstack",
    IPV4: "ipv4",
};
const PackageVersionSortType = {
    PUBLISHED_TIME: "PUBLISHED_TIME",
};
const PackageGroupAllowedRepositoryUpdateType = {
    ADDED: "ADDED",
    REMOVED: "REMOVED",
};

__webpack_unused_export__ = AccessDeniedException;
__webpack_unused_export__ = AccessDeniedException$;
__webpack_unused_export__ = AllowPublish;
__webpack_unused_export__ = AllowUpstream;
__webpack_unused_export__ = AssetSummary$;
__webpack_unused_export__ = AssociateExternalConnection$;
__webpack_unused_export__ = AssociateExternalConnectionCommand;
__webpack_unused_export__ = AssociateExternalConnectionRequest$;
__webpack_unused_export__ = AssociateExternalConnectionResult$;
__webpack_unused_export__ = AssociatedPackage$;
__webpack_unused_export__ = Codeartifact;
exports.doD = CodeartifactClient;
__webpack_unused_export__ = CodeartifactServiceException;
__webpack_unused_export__ = CodeartifactServiceException$;
__webpack_unused_export__ = ConflictException;
__webpack_unused_export__ = ConflictException$;
__webpack_unused_export__ = CopyPackageVersions$;
__webpack_unused_export__ = CopyPackageVersionsCommand;
__webpack_unused_export__ = CopyPackageVersionsRequest$;
__webpack_unused_export__ = CopyPackageVersionsResult$;
__webpack_unused_export__ = CreateDomain$;
__webpack_unused_export__ = CreateDomainCommand;
__webpack_unused_export__ = CreateDomainRequest$;
__webpack_unused_export__ = CreateDomainResult$;
__webpack_unused_export__ = CreatePackageGroup$;
__webpack_unused_export__ = CreatePackageGroupCommand;
__webpack_unused_export__ = CreatePackageGroupRequest$;
__webpack_unused_export__ = CreatePackageGroupResult$;
__webpack_unused_export__ = CreateRepository$;
__webpack_unused_export__ = CreateRepositoryCommand;
__webpack_unused_export__ = CreateRepositoryRequest$;
__webpack_unused_export__ = CreateRepositoryResult$;
__webpack_unused_export__ = DeleteDomain$;
__webpack_unused_export__ = DeleteDomainCommand;
__webpack_unused_export__ = DeleteDomainPermissionsPolicy$;
__webpack_unused_export__ = DeleteDomainPermissionsPolicyCommand;
__webpack_unused_export__ = DeleteDomainPermissionsPolicyRequest$;
__webpack_unused_export__ = DeleteDomainPermissionsPolicyResult$;
__webpack_unused_export__ = DeleteDomainRequest$;
__webpack_unused_export__ = DeleteDomainResult$;
__webpack_unused_export__ = DeletePackage$;
__webpack_unused_export__ = DeletePackageCommand;
__webpack_unused_export__ = DeletePackageGroup$;
__webpack_unused_export__ = DeletePackageGroupCommand;
__webpack_unused_export__ = DeletePackageGroupRequest$;
__webpack_unused_export__ = DeletePackageGroupResult$;
__webpack_unused_export__ = DeletePackageRequest$;
__webpack_unused_export__ = DeletePackageResult$;
__webpack_unused_export__ = DeletePackageVersions$;
__webpack_unused_export__ = DeletePackageVersionsCommand;
__webpack_unused_export__ = DeletePackageVersionsRequest$;
__webpack_unused_export__ = DeletePackageVersionsResult$;
__webpack_unused_export__ = DeleteRepository$;
__webpack_unused_export__ = DeleteRepositoryCommand;
__webpack_unused_export__ = DeleteRepositoryPermissionsPolicy$;
__webpack_unused_export__ = DeleteRepositoryPermissionsPolicyCommand;
__webpack_unused_export__ = DeleteRepositoryPermissionsPolicyRequest$;
__webpack_unused_export__ = DeleteRepositoryPermissionsPolicyResult$;
__webpack_unused_export__ = DeleteRepositoryRequest$;
__webpack_unused_export__ = DeleteRepositoryResult$;
__webpack_unused_export__ = DescribeDomain$;
__webpack_unused_export__ = DescribeDomainCommand;
__webpack_unused_export__ = DescribeDomainRequest$;
__webpack_unused_export__ = DescribeDomainResult$;
__webpack_unused_export__ = DescribePackage$;
__webpack_unused_export__ = DescribePackageCommand;
__webpack_unused_export__ = DescribePackageGroup$;
__webpack_unused_export__ = DescribePackageGroupCommand;
__webpack_unused_export__ = DescribePackageGroupRequest$;
__webpack_unused_export__ = DescribePackageGroupResult$;
__webpack_unused_export__ = DescribePackageRequest$;
__webpack_unused_export__ = DescribePackageResult$;
__webpack_unused_export__ = DescribePackageVersion$;
__webpack_unused_export__ = DescribePackageVersionCommand;
__webpack_unused_export__ = DescribePackageVersionRequest$;
__webpack_unused_export__ = DescribePackageVersionResult$;
__webpack_unused_export__ = DescribeRepository$;
__webpack_unused_export__ = DescribeRepositoryCommand;
__webpack_unused_export__ = DescribeRepositoryRequest$;
__webpack_unused_export__ = DescribeRepositoryResult$;
__webpack_unused_export__ = DisassociateExternalConnection$;
__webpack_unused_export__ = DisassociateExternalConnectionCommand;
__webpack_unused_export__ = DisassociateExternalConnectionRequest$;
__webpack_unused_export__ = DisassociateExternalConnectionResult$;
__webpack_unused_export__ = DisposePackageVersions$;
__webpack_unused_export__ = DisposePackageVersionsCommand;
__webpack_unused_export__ = DisposePackageVersionsRequest$;
__webpack_unused_export__ = DisposePackageVersionsResult$;
__webpack_unused_export__ = DomainDescription$;
__webpack_unused_export__ = DomainEntryPoint$;
__webpack_unused_export__ = DomainStatus;
__webpack_unused_export__ = DomainSummary$;
__webpack_unused_export__ = EndpointType;
__webpack_unused_export__ = ExternalConnectionStatus;
__webpack_unused_export__ = GetAssociatedPackageGroup$;
__webpack_unused_export__ = GetAssociatedPackageGroupCommand;
__webpack_unused_export__ = GetAssociatedPackageGroupRequest$;
__webpack_unused_export__ = GetAssociatedPackageGroupResult$;
__webpack_unused_export__ = GetAuthorizationToken$;
exports.Eu6 = GetAuthorizationTokenCommand;
__webpack_unused_export__ = GetAuthorizationTokenRequest$;
__webpack_unused_export__ = GetAuthorizationTokenResult$;
__webpack_unused_export__ = GetDomainPermissionsPolicy$;
__webpack_unused_export__ = GetDomainPermissionsPolicyCommand;
__webpack_unused_export__ = GetDomainPermissionsPolicyRequest$;
__webpack_unused_export__ = GetDomainPermissionsPolicyResult$;
__webpack_unused_export__ = GetPackageVersionAsset$;
__webpack_unused_export__ = GetPackageVersionAssetCommand;
__webpack_unused_export__ = GetPackageVersionAssetRequest$;
__webpack_unused_export__ = GetPackageVersionAssetResult$;
__webpack_unused_export__ = GetPackageVersionReadme$;
__webpack_unused_export__ = GetPackageVersionReadmeCommand;
__webpack_unused_export__ = GetPackageVersionReadmeRequest$;
__webpack_unused_export__ = GetPackageVersionReadmeResult$;
__webpack_unused_export__ = GetRepositoryEndpoint$;
exports.Z3Z = GetRepositoryEndpointCommand;
__webpack_unused_export__ = GetRepositoryEndpointRequest$;
__webpack_unused_export__ = GetRepositoryEndpointResult$;
__webpack_unused_export__ = GetRepositoryPermissionsPolicy$;
__webpack_unused_export__ = GetRepositoryPermissionsPolicyCommand;
__webpack_unused_export__ = GetRepositoryPermissionsPolicyRequest$;
__webpack_unused_export__ = GetRepositoryPermissionsPolicyResult$;
__webpack_unused_export__ = HashAlgorithm;
__webpack_unused_export__ = InternalServerException;
__webpack_unused_export__ = InternalServerException$;
__webpack_unused_export__ = LicenseInfo$;
__webpack_unused_export__ = ListAllowedRepositoriesForGroup$;
__webpack_unused_export__ = ListAllowedRepositoriesForGroupCommand;
__webpack_unused_export__ = ListAllowedRepositoriesForGroupRequest$;
__webpack_unused_export__ = ListAllowedRepositoriesForGroupResult$;
__webpack_unused_export__ = ListAssociatedPackages$;
__webpack_unused_export__ = ListAssociatedPackagesCommand;
__webpack_unused_export__ = ListAssociatedPackagesRequest$;
__webpack_unused_export__ = ListAssociatedPackagesResult$;
__webpack_unused_export__ = ListDomains$;
__webpack_unused_export__ = ListDomainsCommand;
__webpack_unused_export__ = ListDomainsRequest$;
__webpack_unused_export__ = ListDomainsResult$;
__webpack_unused_export__ = ListPackageGroups$;
__webpack_unused_export__ = ListPackageGroupsCommand;
__webpack_unused_export__ = ListPackageGroupsRequest$;
__webpack_unused_export__ = ListPackageGroupsResult$;
__webpack_unused_export__ = ListPackageVersionAssets$;
__webpack_unused_export__ = ListPackageVersionAssetsCommand;
__webpack_unused_export__ = ListPackageVersionAssetsRequest$;
__webpack_unused_export__ = ListPackageVersionAssetsResult$;
__webpack_unused_export__ = ListPackageVersionDependencies$;
__webpack_unused_export__ = ListPackageVersionDependenciesCommand;
__webpack_unused_export__ = ListPackageVersionDependenciesRequest$;
__webpack_unused_export__ = ListPackageVersionDependenciesResult$;
__webpack_unused_export__ = ListPackageVersions$;
__webpack_unused_export__ = ListPackageVersionsCommand;
__webpack_unused_export__ = ListPackageVersionsRequest$;
__webpack_unused_export__ = ListPackageVersionsResult$;
__webpack_unused_export__ = ListPackages$;
__webpack_unused_export__ = ListPackagesCommand;
__webpack_unused_export__ = ListPackagesRequest$;
__webpack_unused_export__ = ListPackagesResult$;
__webpack_unused_export__ = ListRepositories$;
__webpack_unused_export__ = ListRepositoriesCommand;
__webpack_unused_export__ = ListRepositoriesInDomain$;
__webpack_unused_export__ = ListRepositoriesInDomainCommand;
__webpack_unused_export__ = ListRepositoriesInDomainRequest$;
__webpack_unused_export__ = ListRepositoriesInDomainResult$;
__webpack_unused_export__ = ListRepositoriesRequest$;
__webpack_unused_export__ = ListRepositoriesResult$;
__webpack_unused_export__ = ListSubPackageGroups$;
__webpack_unused_export__ = ListSubPackageGroupsCommand;
__webpack_unused_export__ = ListSubPackageGroupsRequest$;
__webpack_unused_export__ = ListSubPackageGroupsResult$;
__webpack_unused_export__ = ListTagsForResource$;
__webpack_unused_export__ = ListTagsForResourceCommand;
__webpack_unused_export__ = ListTagsForResourceRequest$;
__webpack_unused_export__ = ListTagsForResourceResult$;
__webpack_unused_export__ = PackageDependency$;
__webpack_unused_export__ = PackageDescription$;
__webpack_unused_export__ = PackageFormat;
__webpack_unused_export__ = PackageGroupAllowedRepository$;
__webpack_unused_export__ = PackageGroupAllowedRepositoryUpdateType;
__webpack_unused_export__ = PackageGroupAssociationType;
__webpack_unused_export__ = PackageGroupDescription$;
__webpack_unused_export__ = PackageGroupOriginConfiguration$;
__webpack_unused_export__ = PackageGroupOriginRestriction$;
__webpack_unused_export__ = PackageGroupOriginRestrictionMode;
__webpack_unused_export__ = PackageGroupOriginRestrictionType;
__webpack_unused_export__ = PackageGroupReference$;
__webpack_unused_export__ = PackageGroupSummary$;
__webpack_unused_export__ = PackageOriginConfiguration$;
__webpack_unused_export__ = PackageOriginRestrictions$;
__webpack_unused_export__ = PackageSummary$;
__webpack_unused_export__ = PackageVersionDescription$;
__webpack_unused_export__ = PackageVersionError$;
__webpack_unused_export__ = PackageVersionErrorCode;
__webpack_unused_export__ = PackageVersionOrigin$;
__webpack_unused_export__ = PackageVersionOriginType;
__webpack_unused_export__ = PackageVersionSortType;
__webpack_unused_export__ = PackageVersionStatus;
__webpack_unused_export__ = PackageVersionSummary$;
__webpack_unused_export__ = PublishPackageVersion$;
__webpack_unused_export__ = PublishPackageVersionCommand;
__webpack_unused_export__ = PublishPackageVersionRequest$;
__webpack_unused_export__ = PublishPackageVersionResult$;
__webpack_unused_export__ = PutDomainPermissionsPolicy$;
__webpack_unused_export__ = PutDomainPermissionsPolicyCommand;
__webpack_unused_export__ = PutDomainPermissionsPolicyRequest$;
__webpack_unused_export__ = PutDomainPermissionsPolicyResult$;
__webpack_unused_export__ = PutPackageOriginConfiguration$;
__webpack_unused_export__ = PutPackageOriginConfigurationCommand;
__webpack_unused_export__ = PutPackageOriginConfigurationRequest$;
__webpack_unused_export__ = PutPackageOriginConfigurationResult$;
__webpack_unused_export__ = PutRepositoryPermissionsPolicy$;
__webpack_unused_export__ = PutRepositoryPermissionsPolicyCommand;
__webpack_unused_export__ = PutRepositoryPermissionsPolicyRequest$;
__webpack_unused_export__ = PutRepositoryPermissionsPolicyResult$;
__webpack_unused_export__ = RepositoryDescription$;
__webpack_unused_export__ = RepositoryExternalConnectionInfo$;
__webpack_unused_export__ = RepositorySummary$;
__webpack_unused_export__ = ResourceNotFoundException;
__webpack_unused_export__ = ResourceNotFoundException$;
__webpack_unused_export__ = ResourcePolicy$;
__webpack_unused_export__ = ResourceType;
__webpack_unused_export__ = ServiceQuotaExceededException;
__webpack_unused_export__ = ServiceQuotaExceededException$;
__webpack_unused_export__ = SuccessfulPackageVersionInfo$;
__webpack_unused_export__ = Tag$;
__webpack_unused_export__ = TagResource$;
__webpack_unused_export__ = TagResourceCommand;
__webpack_unused_export__ = TagResourceRequest$;
__webpack_unused_export__ = TagResourceResult$;
__webpack_unused_export__ = ThrottlingException;
__webpack_unused_export__ = ThrottlingException$;
__webpack_unused_export__ = UntagResource$;
__webpack_unused_export__ = UntagResourceCommand;
__webpack_unused_export__ = UntagResourceRequest$;
__webpack_unused_export__ = UntagResourceResult$;
__webpack_unused_export__ = UpdatePackageGroup$;
__webpack_unused_export__ = UpdatePackageGroupCommand;
__webpack_unused_export__ = UpdatePackageGroupOriginConfiguration$;
__webpack_unused_export__ = UpdatePackageGroupOriginConfigurationCommand;
__webpack_unused_export__ = UpdatePackageGroupOriginConfigurationRequest$;
__webpack_unused_export__ = UpdatePackageGroupOriginConfigurationResult$;
__webpack_unused_export__ = UpdatePackageGroupRequest$;
__webpack_unused_export__ = UpdatePackageGroupResult$;
__webpack_unused_export__ = UpdatePackageVersionsStatus$;
__webpack_unused_export__ = UpdatePackageVersionsStatusCommand;
__webpack_unused_export__ = UpdatePackageVersionsStatusRequest$;
__webpack_unused_export__ = UpdatePackageVersionsStatusResult$;
__webpack_unused_export__ = UpdateRepository$;
__webpack_unused_export__ = UpdateRepositoryCommand;
__webpack_unused_export__ = UpdateRepositoryRequest$;
__webpack_unused_export__ = UpdateRepositoryResult$;
__webpack_unused_export__ = UpstreamRepository$;
__webpack_unused_export__ = UpstreamRepositoryInfo$;
__webpack_unused_export__ = ValidationException;
__webpack_unused_export__ = ValidationException$;
__webpack_unused_export__ = ValidationExceptionReason;
__webpack_unused_export__ = errorTypeRegistries;
__webpack_unused_export__ = paginateListAllowedRepositoriesForGroup;
__webpack_unused_export__ = paginateListAssociatedPackages;
__webpack_unused_export__ = paginateListDomains;
__webpack_unused_export__ = paginateListPackageGroups;
__webpack_unused_export__ = paginateListPackageVersionAssets;
__webpack_unused_export__ = paginateListPackageVersions;
__webpack_unused_export__ = paginateListPackages;
__webpack_unused_export__ = paginateListRepositories;
__webpack_unused_export__ = paginateListRepositoriesInDomain;
__webpack_unused_export__ = paginateListSubPackageGroups;


/***/ })

};
