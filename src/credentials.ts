/**
 * Credentials inside index URLs (`https://user:token@host/simple/`): registered with the runner's
 * log masking, and removed from every message and every line of pip output we print ourselves.
 */
import * as core from '@actions/core'

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#\s]+)@/i

/** The secret parts of a URL's user-info: the password, or the user name when it is the only part. */
export function urlSecrets(url: string): string[] {
  const match = USERINFO.exec(url)
  if (!match) return []
  const [user, ...rest] = match[2].split(':')
  const password = rest.join(':')
  // a token alone in the user position (`https://<token>@host`) is the secret
  const raw = password ? [password, match[2]] : [user]
  const secrets = new Set<string>()
  for (const s of raw) {
    if (!s) continue
    secrets.add(s)
    try {
      secrets.add(decodeURIComponent(s))
    } catch {
      // not valid percent-encoding: the raw form is all there is
    }
    secrets.add(encodeURIComponent(s))
  }
  return [...secrets].filter(s => s.length > 0)
}

/** The URL with its password (or lone token) replaced by `***`; the user name stays for debugging. */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, (_all, scheme: string, info: string) => {
    const colon = info.indexOf(':')
    return colon < 0 ? `${scheme}***@` : `${scheme}${info.slice(0, colon)}:***@`
  })
}

/** A URL without its user-info (for a cache key, or as the base of relative links). */
export function withoutUserInfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#\s]*@/i, '$1')
}

/** Takes the URL's user-info off it (fetch refuses such URLs) and returns it as basic-auth headers. */
export function takeBasicAuth(url: URL): Record<string, string> {
  if (!url.username && !url.password) return {}
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  url.username = ''
  url.password = ''
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
}

/** Every URL-looking argument, e.g. `--extra-index-url=https://u:p@host` or the value after a flag. */
function urlsIn(args: readonly string[]): string[] {
  return args.flatMap(a => a.match(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi) ?? [])
}

/**
 * Removes the secrets of these URLs (and of any URL in `text` itself) from text: whole URLs are
 * redacted first, then any stray occurrence of a secret (pip may print a host with user-info or a
 * decoded password in a traceback).
 */
export class Redactor {
  private readonly secrets: string[]

  constructor(urls: readonly string[]) {
    // longest first, so a secret that contains another is replaced whole
    this.secrets = [...new Set(urlsIn(urls).flatMap(urlSecrets))].sort(
      (a, b) => b.length - a.length
    )
  }

  /** Registers each secret with the runner so it is masked even in output we never see. */
  register(): this {
    for (const s of this.secrets) core.setSecret(s)
    return this
  }

  redact(text: string): string {
    let out = text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, url => redactUrl(url))
    for (const s of this.secrets) out = out.split(s).join('***')
    return out
  }
}

/** Index and proxy credentials from every place pip may read them: the index URL, pip-args, PIP_* variables. */
export function pipRedactor(o: {
  indexUrl?: string
  pipArgs?: readonly string[]
  env?: NodeJS.ProcessEnv
}): Redactor {
  const env = o.env ?? process.env
  const fromEnv = [env.PIP_INDEX_URL, env.PIP_EXTRA_INDEX_URL, env.PIP_PROXY].filter(
    (u): u is string => !!u
  )
  return new Redactor([
    ...(o.indexUrl ? [o.indexUrl] : []),
    ...(o.pipArgs ?? []),
    ...fromEnv
  ]).register()
}
