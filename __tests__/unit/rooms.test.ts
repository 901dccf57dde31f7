// The rooms of src/ as DESIGN.md draws them, checked on the real import graph (read with the
// TypeScript compiler, so `import type` — which leaves nothing at run time — is told apart):
// no import cycles, resolve/ knows nothing of fetch/, python/ holds primitives that no stage's
// policy reaches into.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

const SRC = path.resolve(import.meta.dirname, '../../src')

interface Edge {
  to: string
  typeOnly: boolean
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
        ? [path.join(dir, e.name)]
        : []
  )
}

/** Imports and re-exports of one file, static ones only (a dynamic import() is lazy). */
function declarationsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const found: { spec: string; typeOnly: boolean }[] = []
  for (const node of source.statements) {
    let spec: ts.Expression | undefined
    let typeOnly = false
    if (ts.isImportDeclaration(node)) {
      spec = node.moduleSpecifier
      const clause = node.importClause
      typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every(e => e.isTypeOnly)))
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      spec = node.moduleSpecifier
      typeOnly = node.isTypeOnly
    }
    if (spec && ts.isStringLiteral(spec)) found.push({ spec: spec.text, typeOnly })
  }
  return found
}

/** Relative imports and re-exports of one file, static ones only. */
function importsOf(file: string): Edge[] {
  return declarationsOf(file).flatMap(({ spec, typeOnly }) => {
    if (!spec.startsWith('.')) return []
    const base = path.resolve(path.dirname(file), spec.replace(/\.js$/, ''))
    const to = [`${base}.ts`, path.join(base, 'index.ts')].find(existsSync)
    assert.ok(to, `${path.relative(SRC, file)} imports ${spec}, which is not a file`)
    return [{ to, typeOnly }]
  })
}

const files = sourceFiles(SRC)
const graph = new Map(files.map(f => [f, importsOf(f)]))
const room = (f: string) => path.relative(SRC, f).split(path.sep)[0]

/** Every cycle a depth-first walk meets, each as the files around it. */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const cycles: string[][] = []
  const visit = (f: string) => {
    state.set(f, 'open')
    stack.push(f)
    for (const to of edges.get(f) ?? []) {
      if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to])
      else if (!state.has(to)) visit(to)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of edges.keys()) if (!state.has(f)) visit(f)
  return cycles
}

test('src/ has no import cycle (value imports; a type import leaves nothing at run time)', () => {
  const values = new Map(
    [...graph].map(([f, edges]) => [f, edges.filter(e => !e.typeOnly).map(e => e.to)])
  )
  const cycles = findCycles(values).map(c => c.map(f => path.relative(SRC, f)).join(' → '))
  assert.deepEqual(cycles, [])
})

test('resolve/ imports nothing from fetch/: it knows formats, not networks', () => {
  const crossings = files
    .filter(f => room(f) === 'resolve')
    .flatMap(f =>
      (graph.get(f) ?? [])
        .filter(e => room(e.to) === 'fetch')
        .map(e => `${path.relative(SRC, f)} → ${path.relative(SRC, e.to)}`)
    )
  assert.deepEqual(crossings, [])
})

test('python/ holds primitives: it imports no stage (resolve, fetch, assemble, smoke, contents, deliver, release)', () => {
  const stages = new Set([
    'resolve',
    'fetch',
    'assemble',
    'smoke',
    'contents',
    'deliver',
    'release'
  ])
  const crossings = files
    .filter(f => room(f) === 'python')
    .flatMap(f =>
      (graph.get(f) ?? [])
        .filter(e => stages.has(room(e.to)))
        .map(e => `${path.relative(SRC, f)} → ${path.relative(SRC, e.to)}`)
    )
  assert.deepEqual(crossings, [])
})

test('start-up loads no SDK: what main.ts reaches by static imports imports neither the AWS SDK, Octokit, the Actions cache nor CycloneDX (they load on the paths that use them)', () => {
  // the proxy agents serve the AWS SDK alone (src/aws-network.ts) and load with it
  const heavy =
    /^(@aws-sdk\/|@smithy\/|@actions\/github|@actions\/cache|@cyclonedx\/|https?-proxy-agent$)/
  const reached = new Map([[path.join(SRC, 'main.ts'), 'main.ts']])
  for (const [f, via] of reached)
    for (const e of graph.get(f) ?? [])
      if (!e.typeOnly && !reached.has(e.to))
        reached.set(e.to, `${via} → ${path.relative(SRC, e.to)}`)
  const loaded = [...reached].flatMap(([f, via]) =>
    declarationsOf(f)
      .filter(d => !d.typeOnly && heavy.test(d.spec))
      .map(d => `${via} imports ${d.spec}`)
  )
  assert.deepEqual(loaded, [])
})

test('the checks above can fail: a planted cycle is found, and the reader sees real imports', () => {
  const planted = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']]
  ])
  assert.deepEqual(findCycles(planted), [['a', 'b', 'c', 'a']])
  const main = graph.get(path.join(SRC, 'main.ts')) ?? []
  assert.ok(main.some(e => e.to === path.join(SRC, 'plan.ts') && !e.typeOnly))
})
