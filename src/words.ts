/** Words for people reading the log and the summary. */

/**
 * `4,655`: a count with US thousands separators, as `toLocaleString('en-US')` writes it, without
 * loading ICU's number formatting (its first use costs some 16 ms, on every run's first log line).
 */
export function count(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US')
  const digits = String(Math.abs(n))
  let out = digits.slice(0, digits.length % 3 || 3)
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`
  return n < 0 ? `-${out}` : out
}

/** `1 file`, `2 files`; `plural(n, 'entry', 'entries')` where adding an s is wrong. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`
}
