import { test } from 'node:test'
import assert from 'node:assert/strict'
import { slimEntries, WHEEL_DATA_RULE } from '../../src/assemble/slim'
import { compileGlob } from '../../src/assemble/glob'
import { captureLog } from '../helpers/log'

const SO = 'fast.cpython-312-x86_64-linux-gnu.so'

/** The layer's entries: path relative to python/ → size, so byte counts are checkable. */
const TREE: Record<string, number> = {
  'pkg/__init__.py': 10,
  'pkg/mod.py': 10,
  'pkg/mod.pyi': 7,
  'pkg/py.typed': 0,
  'pkg/__pycache__/mod.cpython-311.pyc': 100,
  'pkg/__pycache__/__init__.cpython-311.pyc': 50,
  'pkg/legacy.py': 10,
  'pkg/legacy.pyc': 30,
  'pkg/sourceless.pyc': 40,
  'pkg/old.pyo': 20,
  'pkg/tests/__init__.py': 1,
  'pkg/tests/test_mod.py': 200,
  'pkg/tests/data/sample.json': 300,
  'pkg/sub/tests/conftest.py': 5,
  'pkg/sub/impl.py': 10,
  'pkg/test/__init__.py': 3,
  'pkg/test/client.py': 30,
  [`pkg/${SO}`]: 1000,
  'pkg/fast.pyx': 60,
  'pkg/fast.c': 400,
  'pkg/fast.pyi': 9,
  'pkg/fast.pxd': 8,
  'pkg/fast.h': 11,
  'pkg/other.c': 12,
  'pkg/stubsonly.pyi': 13,
  'pkg/README.md': 14,
  'pkg/data/notes.md': 15,
  'tests/test_top.py': 16,
  'test/__init__.py': 17,
  'top.txt': 20,
  'pkg-1.0.dist-info/METADATA': 21,
  'pkg-1.0.dist-info/RECORD': 22,
  'pkg-1.0.dist-info/licenses/tests/test_license.py': 23,
  'pkg-1.0.dist-info/__pycache__/x.pyc': 24
}

const entries = Object.entries(TREE).map(([path, size]) => ({ path, size }))
const remaining = (kept: readonly { path: string }[]): string[] => kept.map(e => e.path).sort()
const owner = { name: 'pkg', version: '1.0', wheel: 'pkg-1.0-py3-none-any.whl' }

const sizeOf = (files: string[]): number => files.reduce((n, f) => n + TREE[f], 0)
const removedBy = (files: string[]) => ({ files: files.length, bytes: sizeOf(files) })

test('slim leaves out each rule’s files, keeps dist-info, sourceless .pyc, headers, top-level test packages', () => {
  const log = captureLog()
  const leftOut = [
    { name: 'pkg-1.0.data/scripts/tool', size: 18, owner },
    { name: 'pkg-1.0.data/headers/pkg.h', size: 19, owner }
  ]
  let result
  try {
    result = slimEntries(entries, { slim: true, exclude: [], leftOut })
  } finally {
    log.restore()
  }
  const { kept, report } = result
  assert.match(log.text(), /Left out 4 files \(506 B\): test suites/)

  const bytecode = [
    'pkg/__pycache__/mod.cpython-311.pyc',
    'pkg/__pycache__/__init__.cpython-311.pyc',
    'pkg/legacy.pyc',
    'pkg/old.pyo'
  ]
  const tests = [
    'pkg/tests/__init__.py',
    'pkg/tests/test_mod.py',
    'pkg/tests/data/sample.json',
    'pkg/sub/tests/conftest.py'
  ]
  const stubs = ['pkg/mod.pyi', 'pkg/py.typed', 'pkg/fast.pyi']
  const sources = ['pkg/fast.pyx', 'pkg/fast.c']
  const gone = [...bytecode, ...tests, ...stubs, ...sources]

  assert.deepEqual(
    remaining(kept),
    Object.keys(TREE)
      .filter(f => !gone.includes(f))
      .sort()
  )
  const byName = Object.fromEntries(
    report.byRule.map(r => [r.rule.split(':')[0], { files: r.files, bytes: r.bytes }])
  )
  assert.deepEqual(byName, {
    bytecode: removedBy(bytecode),
    'test suites': removedBy(tests),
    'type stubs': removedBy(stubs),
    'extension sources': removedBy(sources),
    [WHEEL_DATA_RULE.rule.split(':')[0]]: { files: 2, bytes: 37 }
  })
  assert.equal(report.removedFiles, gone.length + 2)
  assert.equal(report.removedBytes, sizeOf(gone) + 37)
  for (const r of report.byRule) assert.ok(r.reason.length > 40, `rule ${r.rule} explains itself`)
})

test('slim: false removes nothing (wheel data outside site-packages is still left out, and counted)', () => {
  const { kept, report } = slimEntries(entries, { slim: false, exclude: [] })
  assert.deepEqual(report, { removedFiles: 0, removedBytes: 0, byRule: [] })
  assert.equal(kept.length, Object.keys(TREE).length)
  const leftOut = [{ name: 'pkg-1.0.data/data/share/x', size: 5, owner }]
  const withData = slimEntries(entries, { slim: false, exclude: [], leftOut }).report
  assert.deepEqual(
    withData.byRule.map(r => [r.rule, r.files, r.bytes]),
    [[WHEEL_DATA_RULE.rule, 1, 5]]
  )
})

test('exclude globs apply even when slim is false; a matching directory goes whole', () => {
  const log = captureLog()
  let result
  try {
    result = slimEntries(entries, {
      slim: false,
      exclude: ['**/*.md', 'pkg/sub', '*.txt', 'pkg/test*/', 'nothing/**']
    })
  } finally {
    log.restore()
  }
  const { kept, report } = result
  const gone = [
    'pkg/README.md',
    'pkg/data/notes.md',
    'pkg/sub/tests/conftest.py',
    'pkg/sub/impl.py',
    'top.txt',
    'pkg/test/__init__.py',
    'pkg/test/client.py',
    'pkg/tests/__init__.py',
    'pkg/tests/test_mod.py',
    'pkg/tests/data/sample.json'
  ]
  assert.deepEqual(
    remaining(kept),
    Object.keys(TREE)
      .filter(f => !gone.includes(f))
      .sort()
  )
  assert.deepEqual(
    report.byRule.map(r => [r.rule, r.files]),
    [
      ['exclude: pkg/test*/', 5],
      ['exclude: **/*.md', 2],
      ['exclude: *.txt', 1],
      ['exclude: pkg/sub', 2]
    ]
  )
  assert.match(log.text(), /exclude pattern 'nothing\/\*\*' matched nothing/)
})

test('an exclude pattern that removes a dist-info is obeyed, with a warning about importlib.metadata', () => {
  const log = captureLog()
  let kept
  try {
    kept = slimEntries(entries, { slim: true, exclude: ['*.dist-info'] }).kept
  } finally {
    log.restore()
  }
  assert.ok(!remaining(kept).some(f => f.startsWith('pkg-1.0.dist-info')))
  assert.match(
    log.text(),
    /::warning::'exclude' removed 1 \*\.dist-info directory \(pkg-1\.0\.dist-info\).*importlib\.metadata/
  )
})

test('glob matcher: *, ?, [set], ** and trailing slash', () => {
  const m = (pattern: string, p: string, dir = false) => compileGlob(pattern).matches(p, dir)
  assert.ok(m('*.md', 'README.md'))
  assert.ok(!m('*.md', 'pkg/README.md'), '* stays within python/')
  assert.ok(m('**/*.md', 'README.md'), '**/ matches zero directories')
  assert.ok(m('**/*.md', 'a/b/c.md'))
  assert.ok(m('pkg/**', 'pkg'))
  assert.ok(m('pkg/**', 'pkg/a/b.py'))
  assert.ok(!m('pkg/**', 'pkgx/a'))
  assert.ok(m('a/**/b', 'a/b'))
  assert.ok(m('a/**/b', 'a/x/y/b'))
  assert.ok(!m('a/**/b', 'a/xb'))
  assert.ok(m('a/**/**/b', 'a/x/b'))
  assert.ok(m('**', 'anything/at/all'))
  assert.ok(m('mod?.py', 'mod1.py'))
  assert.ok(!m('mod?.py', 'mod12.py'))
  assert.ok(!m('?', 'a/b'), '? never matches /')
  assert.ok(m('lib[0-9].so', 'lib7.so'))
  assert.ok(!m('lib[!0-9].so', 'lib7.so'))
  assert.ok(m('lib[!0-9].so', 'libx.so'))
  assert.ok(m('./pkg/*.py', 'pkg/x.py'), 'a leading ./ is ignored')
  assert.ok(m('/pkg/*.py', 'pkg/x.py'), 'a leading / is ignored')
  assert.ok(m('docs/', 'docs', true))
  assert.ok(!m('docs/', 'docs', false), 'a trailing / matches directories only')
  assert.ok(m('a.b', 'a.b'))
  assert.ok(!m('a.b', 'axb'), '. is literal')
  assert.ok(m('(x)+', '(x)+'), 'regex characters are literal')
  assert.ok(!m('', 'a'))
})
