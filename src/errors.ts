/**
 * Every failure the action reports on purpose is a LayerActionError: run() prints its message as
 * the one `::error::` line of the run. Anything else that escapes is a bug and is reported as such.
 */
export class LayerActionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A bad input: names the input, the value given and what is allowed. Raised before any side effect. */
export class InputError extends LayerActionError {
  constructor(
    readonly input: string,
    readonly value: string,
    allowed: string
  ) {
    super(`Input '${input}' has an invalid value ${JSON.stringify(value)}: ${allowed}`)
  }
}

/** The message of anything thrown, Error or not. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}
