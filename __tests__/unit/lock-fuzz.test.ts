/**
 * Fuzz: each lock reader is fed a few hundred mutations of real lock files (fixtures/locks/real/,
 * copied from uv, Poetry, pipenv and pip: see the README there) and of the templates one folder up.
 * Reading must give a result or an InputError; pinning what was read (choosing files, checking
 * names and paths) a result or a LayerActionError. Never anything else: no TypeError, no crash.
 * The seed is fixed; `FUZZ_SEED=<n> node scripts/test.mjs __tests__/unit/lock-fuzz.test.ts` runs
 * another, `FUZZ_CASES=<n>` more cases. A failure prints the seed, the case and the mutated text.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { InputError, LayerActionError } from '../../src/errors'
import { findRuntime, markerEnvironment } from '../../src/runtimes'
import { pinnedFromLock, readLock } from '../../src/resolve/locks'
import type { LockRequest } from '../../src/resolve/locks/lock'
import {
  LOCK_FILES,
  LOCK_FIXTURES,
  dummyFacts,
  renderLock,
  type LockKind
} from '../helpers/lock-fixtures'

const SEED = Number(process.env.FUZZ_SEED ?? 20261202)
const CASES = Number(process.env.FUZZ_CASES ?? 300)
const KINDS: LockKind[] = ['uv', 'poetry', 'pipfile', 'pylock']
const FORMAT = { uv: 'uv', poetry: 'poetry', pipfile: 'pipfile', pylock: 'pylock' } as const

/** mulberry32: small, seedable, the same sequence on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Values a field can wrongly hold: other types, hostile names, nothing. */
const TOML_VALUES = [
  '3',
  '"x"',
  '[]',
  '{}',
  'true',
  '"../evil.whl"',
  '"..%2Fevil.whl"',
  '["x", 1]',
  '{ a = 1 }',
  '""',
  '1979-05-27',
  '-1',
  '"/etc"'
]
const JSON_VALUES = [
  '3',
  '"x"',
  '[]',
  '{}',
  'true',
  'null',
  '"../evil.whl"',
  '"..%2Fevil.whl"',
  '["x", 1]',
  '{"a": 1}',
  '""'
]

function mutate(text: string, json: boolean, rnd: () => number): { text: string; how: string } {
  const lines = text.split('\n')
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
  const i = Math.floor(rnd() * lines.length)
  switch (Math.floor(rnd() * 7)) {
    case 0:
      lines.splice(i, 1)
      return { text: lines.join('\n'), how: `line ${i + 1} deleted` }
    case 1:
      lines.splice(i, 0, lines[i])
      return { text: lines.join('\n'), how: `line ${i + 1} doubled` }
    case 2: {
      const j = Math.floor(rnd() * lines.length)
      ;[lines[i], lines[j]] = [lines[j], lines[i]]
      return { text: lines.join('\n'), how: `lines ${i + 1} and ${j + 1} swapped` }
    }
    case 3: {
      // a value replaced by one of another type: the heart of it
      const candidates = lines
        .map((l, n) => ({ l, n }))
        .filter(x => (json ? /"[^"]+"\s*:\s*\S/ : /^\s*[\w.-]+\s*=\s*\S/).test(x.l))
      if (candidates.length === 0) return { text, how: 'unchanged' }
      const { l, n } = pick(candidates)
      const value = pick(json ? JSON_VALUES : TOML_VALUES)
      lines[n] = json
        ? l.replace(
            /("[^"]+"\s*:\s*)(.*?)(,?)$/,
            (_m, k: string, _v, c: string) => `${k}${value}${c}`
          )
        : l.replace(/^(\s*[\w.-]+\s*=\s*).*$/, (_m, k: string) => `${k}${value}`)
      return { text: lines.join('\n'), how: `line ${n + 1} value → ${value}` }
    }
    case 4: {
      // inside an inline table or array: one of its values replaced
      const n = Math.floor(rnd() * lines.length)
      const value = pick(json ? JSON_VALUES : TOML_VALUES)
      lines[n] = lines[n].replace(
        json ? /:\s*"[^"]*"/ : /=\s*"[^"]*"/,
        json ? `: ${value}` : `= ${value}`
      )
      return { text: lines.join('\n'), how: `line ${n + 1} first string → ${value}` }
    }
    case 5: {
      const at = Math.floor(rnd() * text.length)
      return { text: text.slice(0, at), how: `cut at ${at}` }
    }
    default: {
      const at = Math.floor(rnd() * text.length)
      const junk = pick([
        '[',
        ']',
        '{',
        '}',
        '"',
        "'",
        '=',
        ',',
        '\n[[package]]\n',
        '\n[[packages]]\n',
        '\0',
        'é'
      ])
      return {
        text: text.slice(0, at) + junk + text.slice(at),
        how: `${JSON.stringify(junk)} inserted at ${at}`
      }
    }
  }
}

function sources(kind: LockKind): { name: string; text: string }[] {
  return [
    {
      name: `fixtures/locks/${LOCK_FILES[kind]}`,
      text: renderLock(kind, {
        index: 'https://pypi.example.org/simple/',
        filesUrl: 'https://files.example.org/',
        facts: dummyFacts()
      })
    },
    {
      name: `fixtures/locks/real/${LOCK_FILES[kind]}`,
      text: readFileSync(path.join(LOCK_FIXTURES, 'real', LOCK_FILES[kind]), 'utf8')
    }
  ]
}

const runtime = findRuntime('3.12')
assert.ok(runtime)
const target = { runtime, architecture: 'x86_64' as const }

function request(kind: LockKind, text: string): LockRequest {
  return {
    file: `/work/app/${LOCK_FILES[kind]}`,
    display: LOCK_FILES[kind],
    text,
    extras: [],
    groups: [],
    env: markerEnvironment(runtime as NonNullable<typeof runtime>, 'x86_64'),
    indexUrl: ''
  }
}

test('the real lock files themselves are read and pinned (Poetry’s own lock is refused for its git dependency, by name)', () => {
  for (const kind of KINDS)
    for (const source of sources(kind)) {
      const pin = () =>
        pinnedFromLock(request(kind, source.text), FORMAT[kind], {
          target,
          buildSdists: 'pure',
          roots: { workspace: '/work/app', temp: '/tmp' }
        })
      if (source.name === 'fixtures/locks/real/poetry.lock') {
        // python-poetry/poetry locks poetry-core from its git repository: the action builds no VCS source
        assert.throws(
          pin,
          (e: unknown) =>
            e instanceof InputError && /poetry-core comes from version control/.test(e.message)
        )
        assert.ok(
          readLock(
            request(kind, source.text.replace(/\[package\.source\]\ntype = "git"[^[]*/, '')),
            'poetry'
          ).packages.length > 40,
          'the rest of Poetry’s own lock reads'
        )
        continue
      }
      assert.ok(pin().entries.length > 0, source.name)
    }
})

for (const kind of KINDS) {
  test(`${kind}: ${CASES} mutated locks give a result or an InputError, never another error (seed ${SEED})`, () => {
    const rnd = random(SEED + KINDS.indexOf(kind))
    const inputs = sources(kind)
    const outcomes = { read: 0, inputError: 0, pinError: 0 }
    for (let n = 0; n < CASES; n++) {
      const source = inputs[n % inputs.length]
      // one to three mutations on top of each other
      let text = source.text
      const hows: string[] = []
      for (let k = 0, times = 1 + Math.floor(rnd() * 3); k < times; k++) {
        const m = mutate(text, kind === 'pipfile', rnd)
        text = m.text
        hows.push(m.how)
      }
      const where = `seed ${SEED}, case ${n}, ${source.name}: ${hows.join('; ')}`
      let selection
      try {
        selection = readLock(request(kind, text), FORMAT[kind])
      } catch (error) {
        if (error instanceof InputError) {
          outcomes.inputError++
          continue
        }
        assert.fail(`${where}\n${String((error as Error)?.stack ?? error)}\n--- text ---\n${text}`)
      }
      assert.ok(Array.isArray(selection.packages), where)
      try {
        pinnedFromLock(request(kind, text), FORMAT[kind], {
          target,
          buildSdists: 'pure',
          roots: { workspace: '/work/app', temp: '/tmp' }
        })
        outcomes.read++
      } catch (error) {
        if (!(error instanceof LayerActionError))
          assert.fail(
            `${where}\n${String((error as Error)?.stack ?? error)}\n--- text ---\n${text}`
          )
        outcomes.pinError++
      }
    }
    // the mutations reach both sides: some locks still read, some are refused
    assert.ok(outcomes.read > 0 && outcomes.inputError > 0, JSON.stringify(outcomes))
  })
}
