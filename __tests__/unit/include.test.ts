import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { copyIncludes } from '../../src/assemble/include'
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

let counter = 0
/** A python/ directory with `requests` and `boto3` installed as pip would leave them. */
async function installedLayer(): Promise<string> {
  const python = path.join(tmp, `layer-${++counter}`, 'python')
  await write(path.join(python, 'requests/__init__.py'), '')
  await write(
    path.join(python, 'requests-2.31.0.dist-info/RECORD'),
    'requests/__init__.py,sha256=x,0\nrequests-2.31.0.dist-info/RECORD,,\n'
  )
  await write(path.join(python, 'boto3/__init__.py'), '')
  return python
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

test('directories and files are copied to python/<last component>, with counts', async () => {
  const python = await installedLayer()
  const log = captureLog()
  const result = await copyIncludes(
    ['src/common_lib', './shared/settings.py'],
    workspace,
    python
  ).finally(log.restore)
  assert.deepEqual(result, [
    { source: 'src/common_lib', target: 'python/common_lib', files: 2, bytes: 6 + 22 },
    { source: './shared/settings.py', target: 'python/settings.py', files: 1, bytes: 14 }
  ])
  assert.equal(
    await fs.readFile(path.join(python, 'common_lib/util/helpers.py'), 'utf8'),
    'def f():\n    return 2\n'
  )
  assert.ok((await fs.stat(path.join(python, 'settings.py'))).isFile())
})

test('a missing path is an input error', async () => {
  const error = await rejection(copyIncludes(['src/nope'], workspace, await installedLayer()))
  assert.match(
    error.message,
    /Input 'include' has an invalid value "src\/nope": a file or directory inside the workspace/
  )
})

test('paths outside the workspace are refused, through .. or through a link', async () => {
  const python = await installedLayer()
  assert.match(
    (await rejection(copyIncludes(['../outside'], workspace, python))).message,
    /inside the workspace/
  )
  assert.match(
    (await rejection(copyIncludes(['/etc'], workspace, python))).message,
    /inside the workspace/
  )
  assert.match(
    (await rejection(copyIncludes(['.'], workspace, python))).message,
    /not the workspace itself/
  )
  assert.match(
    (await rejection(copyIncludes(['escape'], workspace, python))).message,
    /link leading outside/
  )
  assert.deepEqual((await fs.readdir(python)).sort(), [
    'boto3',
    'requests',
    'requests-2.31.0.dist-info'
  ])
})

test('two includes with the same last component: the error names both, nothing is copied', async () => {
  const python = await installedLayer()
  const error = await rejection(
    copyIncludes(['src/common_lib', 'other/common_lib'], workspace, python)
  )
  assert.match(error.message, /"other\/common_lib"/)
  assert.match(error.message, /'src\/common_lib' is also copied to python\/common_lib/)
  assert.ok(!(await fs.readdir(python)).includes('common_lib'))
})

test('an include that would replace or shadow an installed package names both (and the owner)', async () => {
  const python = await installedLayer()
  const replace = await rejection(copyIncludes(['mine/boto3'], workspace, python))
  assert.match(
    replace.message,
    /"mine\/boto3".*python\/boto3 is installed from the requirements, and python\/boto3 would replace it/
  )
  const shadow = await rejection(copyIncludes(['mine/requests.py'], workspace, python))
  assert.match(
    shadow.message,
    /python\/requests is installed by requests 2\.31\.0 from the requirements, and python\/requests\.py would shadow it/
  )
})

test("a name that is pip's own (bin) is refused", async () => {
  const error = await rejection(copyIncludes(['tools/bin'], workspace, await installedLayer()))
  assert.match(error.message, /python\/bin/)
})
