/** Input and output names, typed once (they are the public contract: see action.yml). */

export enum Inputs {
  Requirements = 'requirements',
  LayerName = 'layer-name',
  Environment = 'environment',
  Bucket = 'bucket',
  S3Prefix = 's3-prefix',
  Region = 'region',
  PythonVersion = 'python-version',
  CompatibleRuntimes = 'compatible-runtimes',
  Architecture = 'architecture',
  Include = 'include',
  Slim = 'slim',
  Exclude = 'exclude',
  IndexUrl = 'index-url',
  PipArgs = 'pip-args',
  Cache = 'cache',
  Publish = 'publish',
  SkipUnchanged = 'skip-unchanged',
  Description = 'description',
  LicenseInfo = 'license-info',
  TagPrefix = 'tag-prefix',
  InitialVersion = 'initial-version',
  DefaultBump = 'default-bump',
  Tag = 'tag',
  GithubToken = 'github-token',
  KeepVersions = 'keep-versions',
  ShareWith = 'share-with',
  Regions = 'regions',
  SmokeTest = 'smoke-test',
  UpdateFunctions = 'update-functions',
  Extras = 'extras',
  Groups = 'groups',
  BuildSdists = 'build-sdists',
  CodeartifactDomain = 'codeartifact-domain',
  CodeartifactRepository = 'codeartifact-repository',
  CodeartifactDomainOwner = 'codeartifact-domain-owner',
  SsmParameter = 'ssm-parameter',
  GithubRelease = 'github-release',
  HealthCheck = 'health-check',
  HealthCheckPayload = 'health-check-payload'
}

export enum Outputs {
  LayerName = 'layer-name',
  LayerArn = 'layer-arn',
  LayerVersion = 'layer-version',
  LayerVersionArn = 'layer-version-arn',
  LayerVersionArns = 'layer-version-arns',
  Published = 'published',
  Version = 'version',
  PreviousVersion = 'previous-version',
  Bump = 'bump',
  Tag = 'tag',
  S3Bucket = 's3-bucket',
  S3Key = 's3-key',
  ZipPath = 'zip-path',
  ZipSize = 'zip-size',
  UnzippedSize = 'unzipped-size',
  CodeSha256 = 'code-sha256',
  PythonVersion = 'python-version',
  Architecture = 'architecture',
  CompatibleRuntimes = 'compatible-runtimes',
  ReleaseUrl = 'release-url',
  RolledBack = 'rolled-back'
}

export const ACTION_NAME = 'layer-action'

/** This action's version, for the AWS user agent (kept equal to package.json's by a test). */
export const ACTION_VERSION = '1.0.0'
