/**
 * The version of a layer that already holds a zip: the latest (unchanged), an older one (a
 * rollback), or the one an earlier run of this very commit published (a rerun, found first by the
 * commit its description records).
 */
import type { LambdaClient, LayerVersionsListItem } from '@aws-sdk/client-lambda'
import { getLayerVersion, listLayerVersionsPage, sameSet, type LayerVersionInfo } from './layers'

export interface IdenticalQuery {
  /** base64 SHA-256 of the zip */
  sha256: string
  compatibleRuntimes: readonly string[]
  architecture: string
  /** text the matching version's description likely holds (this commit's record): compared first */
  hint?: string
  /** compare only versions whose description holds `hint` (skip-unchanged: false still finds a rerun) */
  onlyHinted?: boolean
}

export interface IdenticalSearch {
  /** a version holding the same zip for the same targets: a hinted one first, else the newest */
  match?: LayerVersionInfo
  /** the layer's newest version number (undefined: the layer has none) */
  latest?: number
  /** ListLayerVersions pages read */
  pages: number
  /** GetLayerVersion calls made */
  compared: number
}

/**
 * Finds a version of the layer that holds this very zip, newest first, reading only as many pages
 * as it takes. The list carries runtimes, architecture and description but no CodeSha256, so only
 * versions with the same targets are compared, each with one GetLayerVersion (`concurrency` at a
 * time). Cost: a rerun or an unchanged build (the first candidate matches) costs one page and one
 * call; new content costs every page and one call per same-target version (keep-versions bounds both).
 */
export async function findIdenticalVersion(
  lambda: LambdaClient,
  layerName: string,
  q: IdenticalQuery,
  o: { pageSize?: number; concurrency?: number } = {}
): Promise<IdenticalSearch> {
  const concurrency = Math.max(1, o.concurrency ?? 4)
  const search: IdenticalSearch = { pages: 0, compared: 0 }
  const hinted = (v: LayerVersionsListItem) =>
    q.hint !== undefined && (v.Description ?? '').includes(q.hint)
  let marker: string | undefined
  do {
    const page = await listLayerVersionsPage(lambda, layerName, marker, o.pageSize)
    search.pages++
    marker = page.next
    search.latest ??= page.versions[0]?.Version
    const candidates = page.versions.filter(
      v =>
        v.Version !== undefined &&
        sameSet(v.CompatibleRuntimes ?? [], q.compatibleRuntimes) &&
        sameSet(v.CompatibleArchitectures ?? [], [q.architecture]) &&
        (!q.onlyHinted || hinted(v))
    )
    // a hint only reorders: a hinted version is still compared by its CodeSha256
    const rank = (v: LayerVersionsListItem) => (hinted(v) ? 0 : 1)
    candidates.sort((a, b) => rank(a) - rank(b) || (b.Version ?? 0) - (a.Version ?? 0))
    for (let i = 0; i < candidates.length;) {
      // the search's first candidate alone: on a rerun or an unchanged build it is the match
      const batch = candidates.slice(i, i + (search.compared === 0 ? 1 : concurrency))
      i += batch.length
      const infos = await Promise.all(
        batch.map(v => getLayerVersion(lambda, layerName, v.Version ?? 0))
      )
      search.compared += batch.length
      const same = infos.filter(v => v.codeSha256 === q.sha256)
      if (same.length > 0) {
        search.match = same.sort((a, b) => b.version - a.version)[0]
        return search
      }
    }
  } while (marker)
  return search
}
