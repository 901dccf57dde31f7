import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { includeEntries } from '../../src/assemble/include'
import type { LayerEntry } from '../../src/assemble/entries'
import { InputError } from '../../src/errors'
import { captureLog } from '../helpers/log'

let tmp: string
let workspace: string

async function write(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(file, content)
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-include-'))
  workspace = path.join(tmp, 'workspace')
  await write(path.join(workspace, 'src/common_lib/__init__.py'), 'X = 1\n')
  await write(path.join(workspace, 'src/common_lib/util/helpers.py'), 'def f():\n    return 2\n')
  await write(path.join(workspace, 'shared/settings.py'), 'DEBUG = False\n')
  await write(path.join(workspace, 'other/common_lib/__init__.py'), '')
  await write(path.join(workspace, 'mine/requests.py'), '')
  await write(path.join(workspace, 'mine/boto3/__init__.py'), '')
  await write(path.join(workspace, 'tools/bin/run'), '')
  await write(path.join(tmp, 'outside/secret.py'), '')
  await fs.symlink(path.join(tmp, 'outside'), path.join(workspace, 'escape'))
})

after(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

/** The entries of wheels of `requests` and `boto3`. */
function installedLayer(): LayerEntry[] {
  const entry = (p: string, name: string, version: string): LayerEntry => ({
    path: p,
    size: 0,
    executable: false,
    source: { kind: 'bytes', data: Buffer.alloc(0) },
    owner: { name, version, wheel: `${name}-${version}-py3-none-any.whl` }
  })
  return [
    entry('requests/__init__.py', 'requests', '2.31.0'),
    entry('requests-2.31.0.dist-info/RECORD', 'requests', '2.31.0'),
    entry('boto3/__init__.py', 'boto3', '1.34.0')
  ]
}

async function rejection(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => assert.fail('expected an InputError'),
    (e: unknown) => e
  )
  assert.ok(error instanceof InputError, String(error))
  assert.equal(error.input, 'include')
  return error
}

test('directories and files become entries at python/<last component>, with counts', async () => {
  const python = installedLayer()
  const log = captureLog()
  const result = await includeEntries(
    ['src/common_lib', './shared/settings.py'],
    workspace,
    python
  ).finally(log.restore)
  assert.deepEqual(result.included, [
    { source: 'src/common_lib', target: 'python/common_lib', files: 2, bytes: 6 + 22 },
    { source: './shared/settings.py', target: 'python/settings.py', files: 1, bytes: 14 }
  ])
  assert.deepEqual(
    result.entries.map(e => [e.path, e.size, e.source]),
    [
      [
        'common_lib/__init__.py',
        6,
        { kind: 'file', file: path.join(workspace, 'src/common_lib/__init__.py') }
      ],
      [
        'common_lib/util/helpers.py',
        22,
        { kind: 'file', file: path.join(workspace, 'src/common_lib/util/helpers.py') }
      ],
      ['settings.py', 14, { kind: 'file', file: path.join(workspace, 'shared/settings.py') }]
    ]
  )
})

test('a missing path is an input error', async () => {
  const error = await rejection(includeEntries(['src/nope'], workspace, installedLayer()))
  assert.match(
    error.message,
    /Input 'include' has an invalid value "src\/nope": a file or directory inside the workspace/
  )
})

test('paths outside the workspace are refused, through .. or through a link', async () => {
  const python = installedLayer()
  assert.match(
    (await rejection(includeEntries(['../outside'], workspace, python))).message,
    /inside the workspace/
  )
  assert.match(
    (await rejection(includeEntries(['/etc'], workspace, python))).message,
    /inside the workspace/
  )
  assert.match(
    (await rejection(includeEntries(['.'], workspace, python))).message,
    /not the workspace itself/
  )
  assert.match(
    (await rejection(includeEntries(['escape'], workspace, python))).message,
    /link leading outside/
  )
})

test('two includes with the same last component: the error names both', async () => {
  const python = installedLayer()
  const error = await rejection(
    includeEntries(['src/common_lib', 'other/common_lib'], workspace, python)
  )
  assert.match(error.message, /"other\/common_lib"/)
  assert.match(error.message, /'src\/common_lib' is also copied to python\/common_lib/)
})

test('an include that would replace or shadow an installed package names both (and the owner)', async () => {
  const python = installedLayer()
  const replace = await rejection(includeEntries(['mine/boto3'], workspace, python))
  assert.match(
    replace.message,
    /"mine\/boto3".*python\/boto3 is installed by boto3 1\.34\.0 from the requirements, and python\/boto3 would replace it/
  )
  const shadow = await rejection(includeEntries(['mine/requests.py'], workspace, python))
  assert.match(
    shadow.message,
    /python\/requests is installed by requests 2\.31\.0 from the requirements, and python\/requests\.py would shadow it/
  )
})

test("a name that is pip's own (bin) is refused", async () => {
  const error = await rejection(includeEntries(['tools/bin'], workspace, installedLayer()))
  assert.match(error.message, /python\/bin/)
})

test('a symlink under an include that leads out of the workspace is an error naming the link', async () => {
  const lib = path.join(workspace, 'leaky/lib')
  await write(path.join(lib, '__init__.py'), '')
  await write(path.join(tmp, 'home/.aws/credentials'), '[default]\naws_secret_access_key = x\n')
  await fs.symlink(path.join(tmp, 'home/.aws/credentials'), path.join(lib, 'credentials'))
  const error = await rejection(includeEntries(['leaky/lib'], workspace, installedLayer()))
  assert.match(
    error.message,
    /^Input 'include' has an invalid value "leaky\/lib": files inside the workspace: leaky\/lib\/credentials is a symlink to .*\/home\/\.aws\/credentials, outside the workspace/
  )
  assert.match(error.message, /Copy the file into the workspace in a step before this one/)
  await fs.rm(path.join(workspace, 'leaky'), { recursive: true })
})

test('a linked directory deep in an include leading to /etc is refused; so is a link through a link', async () => {
  const lib = path.join(workspace, 'deep/lib')
  await write(path.join(lib, 'a/b/__init__.py'), '')
  await fs.symlink('/etc', path.join(lib, 'a/b/etc'))
  const error = await rejection(includeEntries(['deep/lib'], workspace, installedLayer()))
  assert.match(error.message, /deep\/lib\/a\/b\/etc is a symlink to \/etc, outside the workspace/)
  await fs.rm(path.join(lib, 'a/b/etc'))
  // inside the workspace, to a link that leads out: refused at the second link
  await fs.symlink(path.join(workspace, 'escape'), path.join(lib, 'hop'))
  const hop = await rejection(includeEntries(['deep/lib'], workspace, installedLayer()))
  assert.match(hop.message, /deep\/lib\/hop is a symlink to .*\/outside, outside the workspace/)
  await fs.rm(path.join(workspace, 'deep'), { recursive: true })
})

test('symlinks that stay inside the workspace are followed: the layer holds the files', async () => {
  const lib = path.join(workspace, 'linked/lib')
  await write(path.join(lib, '__init__.py'), '')
  await fs.symlink(path.join(workspace, 'shared/settings.py'), path.join(lib, 'settings.py'))
  await fs.symlink('../../src/common_lib/util', path.join(lib, 'util'))
  const log = captureLog()
  try {
    const { entries } = await includeEntries(['linked/lib'], workspace, installedLayer())
    assert.deepEqual(entries.map(e => e.path).sort(), [
      'lib/__init__.py',
      'lib/settings.py',
      'lib/util/helpers.py'
    ])
    const settings = entries.find(e => e.path === 'lib/settings.py')
    assert.deepEqual(settings?.source, {
      kind: 'file',
      file: path.join(lib, 'settings.py')
    })
  } finally {
    log.restore()
    await fs.rm(path.join(workspace, 'linked'), { recursive: true })
  }
})
