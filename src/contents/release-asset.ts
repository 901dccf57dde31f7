/**
 * `github-release: true` with `sbom: true`: the SBOM as the release asset `<layer>-<version>.cdx.json`.
 * Each matrix job adds its own (its layer's name); a rerun replaces its own. Uploaded to the
 * release's own `upload_url`: octokit's default uploads host is wrong on GitHub Enterprise Server.
 */
import { createHash } from 'node:crypto'
import * as core from '@actions/core'
import { getOctokit } from '@actions/github'
import { LayerActionError, messageOf } from '../errors'
import type { Octokit } from '../release/github-release'

export interface AssetRequest {
  readonly owner: string
  readonly repo: string
  readonly releaseId: number
  /** the release's `upload_url` (a URI template), when the caller has it; else read from the release */
  readonly uploadUrl?: string
  /** `<layer>-<version>.cdx.json` */
  readonly name: string
  readonly json: string
}

export interface AssetOutcome {
  readonly url: string
  /** `unchanged`: an asset of that name holds these very bytes (its digest), so nothing was written */
  readonly status: 'added' | 'replaced' | 'unchanged'
}

export function sbomAssetName(layerName: string, version: string): string {
  return `${layerName}-${version}.cdx.json`
}

export async function uploadSbomAsset(octokit: Octokit, r: AssetRequest): Promise<AssetOutcome> {
  const where = { owner: r.owner, repo: r.repo }
  try {
    const uploadUrl =
      r.uploadUrl ??
      (await octokit.rest.repos.getRelease({ ...where, release_id: r.releaseId })).data.upload_url
    const assets = await octokit.paginate(octokit.rest.repos.listReleaseAssets, {
      ...where,
      release_id: r.releaseId,
      per_page: 100
    })
    const data = Buffer.from(r.json)
    const old = assets.filter(a => a.name === r.name)
    // GitHub gives every asset's `digest` (sha256:…) since 2025-06; without one, the asset is replaced
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`
    const same = old.find(a => (a as { digest?: string | null }).digest === digest)
    if (same && old.length === 1) {
      core.info(`The release asset ${r.name} is already there with these bytes`)
      return { url: same.browser_download_url, status: 'unchanged' }
    }
    for (const a of old) await octokit.rest.repos.deleteReleaseAsset({ ...where, asset_id: a.id })
    // `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}`: the template part goes
    const url = `${uploadUrl.replace(/\{[^}]*\}$/, '')}?name=${encodeURIComponent(r.name)}`
    const { data: asset } = await octokit.request({
      method: 'POST',
      url,
      // Content-Length comes from the Buffer itself: Node 24's fetch refuses one given by hand
      headers: { 'content-type': 'application/vnd.cyclonedx+json' },
      data
    })
    const download = (asset as { browser_download_url?: string }).browser_download_url ?? ''
    core.info(`${old.length > 0 ? 'Replaced' : 'Added'} the release asset ${r.name}: ${download}`)
    return { url: download, status: old.length > 0 ? 'replaced' : 'added' }
  } catch (error: unknown) {
    const status = (error as { status?: unknown }).status
    throw new LayerActionError(
      `Could not attach ${r.name} to the GitHub Release ${r.releaseId} of ${r.owner}/${r.repo}: ` +
        `GitHub answered ${typeof status === 'number' ? status : 'no HTTP status'}: ${messageOf(error)}.` +
        (status === 403 || status === 404
          ? " The job needs 'permissions: contents: write'."
          : ' A rerun replaces the asset.'),
      { cause: error }
    )
  }
}

/** The stage's call, with the repository and API URL of the workflow run. */
export async function attachSbomToRelease(o: {
  token: string
  releaseId: number
  uploadUrl?: string
  layerName: string
  version: string
  json: string
  env?: NodeJS.ProcessEnv
  octokit?: Octokit
}): Promise<AssetOutcome> {
  const env = o.env ?? process.env
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  if (!owner || !repo)
    throw new LayerActionError(
      `The SBOM release asset needs the repository (owner/name) from GITHUB_REPOSITORY, which is '${env.GITHUB_REPOSITORY ?? ''}'`
    )
  const octokit =
    o.octokit ?? getOctokit(o.token, { baseUrl: env.GITHUB_API_URL || 'https://api.github.com' })
  return uploadSbomAsset(octokit, {
    owner,
    repo,
    releaseId: o.releaseId,
    ...(o.uploadUrl ? { uploadUrl: o.uploadUrl } : {}),
    name: sbomAssetName(o.layerName, o.version),
    json: o.json
  })
}
