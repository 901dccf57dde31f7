/**
 * A distribution's file name, as a lock or an index page gives it, becomes a path in the wheelhouse:
 * it must be a base name. Percent-encoding is decoded first (`..%2F` is `../`), then anything that
 * could leave the folder is refused: a separator, `..`, a NUL, a drive letter, an empty name.
 */
import { LayerActionError } from '../errors'

/** A file name that is not a plain base name; the caller's message names the file it came from. */
export class UnsafeFileNameError extends LayerActionError {
  constructor(readonly raw: string) {
    super(
      `${JSON.stringify(raw)} is not a plain file name (it holds a path separator, "..", a NUL or nothing once decoded)`
    )
  }
}

/** The decoded base name, or UnsafeFileNameError. */
export function baseNameOf(raw: string): string {
  let name = raw
  // decoded until it stops changing: `%252F` must not survive as `%2F` for a later decoder
  for (let i = 0; i < 3; i++) {
    let decoded: string
    try {
      decoded = decodeURIComponent(name)
    } catch {
      break
    }
    if (decoded === name) break
    name = decoded
  }
  if (
    name === '' ||
    name === '.' ||
    name.includes('..') ||
    /[/\\\0]/.test(name) ||
    /^[A-Za-z]:/.test(name)
  )
    throw new UnsafeFileNameError(raw)
  return name
}
