/**
 * Shared pieces of the AWS integration tests: small real layer zips, clients whose retries do not
 * wait, buckets in a given region, a delivery request with everything filled in, and functions
 * (with their role and other layers) for update-functions and the health check.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import AdmZip from 'adm-zip'
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand
} from '@aws-sdk/client-lambda'
import { SSMClient } from '@aws-sdk/client-ssm'
import { createClients, type AwsClients } from '../../src/deliver/clients'
import type { DeliveryRequest } from '../../src/deliver/deliver'
import { MOTO_ACCOUNT, type Moto } from './moto'

export interface TestZip {
  path: string
  /** base64 SHA-256, as Lambda's CodeSha256 */
  sha256: string
}

/** A layer zip holding python/<module>.py with the given source. */
export async function makeZip(dir: string, name: string, source: string): Promise<TestZip> {
  const zip = new AdmZip()
  zip.addFile(`python/${name}.py`, Buffer.from(source))
  const file = path.join(
    dir,
    `${name}-${createHash('sha1').update(source).digest('hex').slice(0, 8)}.zip`
  )
  zip.writeZip(file)
  return {
    path: file,
    sha256: createHash('sha256')
      .update(await readFile(file))
      .digest('base64')
  }
}

export function sha256Base64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64')
}

/** Clients as the action makes them, with retries that wait 1 ms instead of seconds. */
export function fastClients(region: string, maxAttempts = 5): AwsClients {
  return createClients({
    region,
    userAgent: 'layer-action/0.0.0-test',
    maxAttempts,
    retryDelay: () => 1
  })
}

/** Clients straight to moto, for end-to-end tests that read back what a run of dist/index.js left. */
export function motoClients(moto: Moto, region: string): AwsClients {
  const config = {
    region,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
  }
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    lambda: new LambdaClient(config),
    ssm: new SSMClient(config)
  }
}

export async function createBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' } })
    })
  )
}

export async function objectKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket }))
  return (r.Contents ?? []).map(o => o.Key ?? '').sort()
}

export function request(
  zip: TestZip,
  over: Partial<Omit<DeliveryRequest, 'region'>> = {}
): Omit<DeliveryRequest, 'region'> {
  return {
    layerName: 'common-dev',
    bucket: 'layers-bucket',
    key: 'layers/common-dev/20261122-104512/common-dev.zip',
    zipPath: zip.path,
    sha256: zip.sha256,
    skipUnchanged: true,
    commit: '',
    description: 'v1.0.0 abc1234 dev',
    compatibleRuntimes: ['python3.12'],
    architecture: 'arm64',
    metadata: { version: '1.0.0', commit: 'abc1234def' },
    shareWith: [],
    ...over
  }
}

/** The layer's version numbers, newest first. */
export async function layerVersions(lambda: LambdaClient, name = 'common-dev'): Promise<number[]> {
  const r = await lambda.send(new ListLayerVersionsCommand({ LayerName: name }))
  return (r.LayerVersions ?? []).map(v => v.Version ?? 0).sort((a, b) => b - a)
}

/** The IAM role Lambda functions run as in moto (CreateFunction needs one). */
export async function createLambdaRole(moto: Moto, name = 'layer-action-test'): Promise<void> {
  await moto.iam('CreateRole', {
    RoleName: name,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole'
        }
      ]
    })
  })
}

/** A Python function on `layers`, running as the role createLambdaRole made. */
export async function createFunction(
  lambda: LambdaClient,
  name: string,
  layers?: string[],
  role = 'layer-action-test'
): Promise<void> {
  const code = new AdmZip()
  code.addFile('app.py', Buffer.from('def handler(event, context):\n    return 1\n'))
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Handler: 'app.handler',
      Role: `arn:aws:iam::${MOTO_ACCOUNT}:role/${role}`,
      Code: { ZipFile: code.toBuffer() },
      ...(layers ? { Layers: layers } : {})
    })
  )
}

/** Another layer's version ARN, for functions that use more than ours. */
export async function publishOtherLayer(lambda: LambdaClient, name = 'other'): Promise<string> {
  const zip = new AdmZip()
  zip.addFile(`python/${name}.py`, Buffer.from('X = 1\n'))
  const r = await lambda.send(
    new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: zip.toBuffer() } })
  )
  return r.LayerVersionArn ?? ''
}

/** The layer version ARNs a function uses, in order. */
export async function layersOf(lambda: LambdaClient, name: string): Promise<string[]> {
  const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
  return (c.Layers ?? []).map(l => l.Arn ?? '')
}
