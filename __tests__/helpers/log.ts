/**
 * Captures what @actions/core prints (info, debug, ::add-mask::, …) so a test can assert on the log
 * and the test report stays readable. Buffers pass through: node's test runner talks over stdout.
 */
export interface CapturedLog {
  lines: string[]
  text(): string
  restore(): void
}

export function captureLog(): CapturedLog {
  const original = process.stdout.write.bind(process.stdout)
  const lines: string[] = []
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') {
      lines.push(...chunk.split('\n').filter(l => l !== ''))
      return true
    }
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest)
  }) as typeof process.stdout.write
  return {
    lines,
    text: () => lines.join('\n'),
    restore: () => {
      process.stdout.write = original
    }
  }
}
