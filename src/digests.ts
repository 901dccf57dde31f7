/** The one way a file on disk is hashed: streamed (a wheel may be large), sha256 always. */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** The hex digests of a file, by algorithm: sha256 and any others asked for. */
export async function hashFile(
  file: string,
  algorithms: Iterable<string> = []
): Promise<Map<string, string>> {
  const hashes = new Map<string, Hash>([['sha256', createHash('sha256')]])
  for (const a of algorithms) if (!hashes.has(a)) hashes.set(a, createHash(a))
  for await (const chunk of createReadStream(file))
    for (const h of hashes.values()) h.update(chunk as Buffer)
  return new Map([...hashes].map(([a, h]) => [a, h.digest('hex')]))
}

/** The hex SHA-256 of a file. */
export async function sha256File(file: string): Promise<string> {
  return (await hashFile(file)).get('sha256') as string
}
