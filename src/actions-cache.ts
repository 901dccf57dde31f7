/**
 * The Actions cache client, loaded on first use (a dynamic import: a chunk of its own), so start-up
 * and runs with cache: false do not parse it. Undefined where there is no cache service (a local run).
 */
export async function actionsCache(): Promise<typeof import('@actions/cache') | undefined> {
  const cache = await import('@actions/cache')
  return cache.isFeatureAvailable() ? cache : undefined
}
