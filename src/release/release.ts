import * as core from '@actions/core'
import type { VersionDecision } from './bump'
import { formatTagMessage } from './changelog'
import type { GitRunner } from './history'
import { pushTag } from './tag'

export interface TagOutcome {
  readonly tag: string
  readonly status: 'created' | 'exists' | 'skipped'
  /** why no tag was pushed */
  readonly reason?: string
}

/**
 * Tags the release once a layer version of this commit exists and passed its health check (this
 * run published it, or an earlier run of this commit did), and only then: a run that reused a
 * version of another commit, failed, or built without publishing leaves the history as it was.
 */
export async function tagRelease(o: {
  enabled: boolean
  /** a delivery published a version of this commit, now or in an earlier run */
  released: boolean
  release: VersionDecision
  sha: string
  git?: GitRunner
}): Promise<TagOutcome> {
  const { tag } = o.release
  const skip = (reason: string): TagOutcome => {
    core.info(`No tag: ${reason}`)
    return { tag, status: 'skipped', reason }
  }
  if (!o.enabled) return skip("'tag' is false")
  if (!o.released) return skip('no layer version was published from this commit')
  if (!o.release.newTag && !o.release.atHead)
    return skip(`no commit since ${tag} asks for a new version (default-bump: none)`)
  if (!o.git || !o.sha) return skip('the workspace is not a git repository')
  // a commit already tagged here: pushing again is a no-op on origin, or completes an earlier run's push
  const status = await pushTag(o.git, { tag, sha: o.sha, message: formatTagMessage(o.release) })
  core.info(
    status === 'created'
      ? `Pushed tag ${tag} at ${o.sha.slice(0, 7)}`
      : `Tag ${tag} already on origin at ${o.sha.slice(0, 7)} (an earlier run or another job of this commit pushed it)`
  )
  return { tag, status }
}
