/**
 * The glob patterns of the `exclude` input, matched against `/`-separated paths relative to python/.
 * Node's path.matchesGlob only exists from 20.17/22.5, so the action carries its own small matcher.
 *
 * `*` any run of characters within one path segment, `?` one such character, `[abc]` / `[!a-z]` one
 * of a set, `**` as a whole segment any number of segments (zero included). A trailing `/` matches
 * directories only. Patterns are anchored at python/: `*.md` is python/*.md, `**\/*.md` is any .md.
 */
export interface Glob {
  readonly pattern: string
  matches(relativePath: string, isDirectory: boolean): boolean
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

function segmentRegExp(segment: string): string {
  let out = ''
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]
    if (c === '*') {
      while (segment[i + 1] === '*') i++
      out += '[^/]*'
    } else if (c === '?') {
      out += '[^/]'
    } else if (c === '[') {
      const close = segment.indexOf(']', i + 2)
      if (close < 0) {
        out += '\\['
        continue
      }
      let body = segment.slice(i + 1, close)
      const negate = body.startsWith('!') || body.startsWith('^')
      if (negate) body = body.slice(1)
      out += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`
      i = close
    } else {
      out += escapeRegExp(c)
    }
  }
  return out
}

export function compileGlob(pattern: string): Glob {
  const directoryOnly = pattern.endsWith('/')
  const segments = pattern
    .trim()
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(s => s !== '' && s !== '.')
    // `**/**` means the same as `**`
    .filter((s, i, all) => !(s === '**' && all[i - 1] === '**'))
  let source = ''
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1
    if (segment === '**') {
      if (last) source += i === 0 ? '.*' : '(?:/.*)?'
      else source += i === 0 ? '(?:.*/)?' : '/(?:.*/)?'
    } else {
      source += (i === 0 || segments[i - 1] === '**' ? '' : '/') + segmentRegExp(segment)
    }
  })
  const regex = new RegExp(`^${source}$`)
  return {
    pattern,
    matches: (relativePath, isDirectory) =>
      segments.length > 0 && (!directoryOnly || isDirectory) && regex.test(relativePath)
  }
}
