/** Words for people reading the log and the summary. */

/** `1 file`, `2 files`; `plural(n, 'entry', 'entries')` where adding an s is wrong. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}
