/**
 * Local packages in requirements files, read as pip reads them (pip's requirements-file format:
 * https://pip.pypa.io/en/stable/reference/requirements-file-format/): paths from the working
 * directory, -r from the including file, `\` continuations, `#` comments, `${VAR}`; and the copy
 * with each local package swapped for its built wheel.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { findLocalPackages, rewriteRequirements } from '../../src/resolve/local-packages'
import { InputError } from '../../src/errors'

let ws: string

before(async () => {
  ws = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-local-'))
  for (const pkg of ['libs/common', 'libs/extra', 'tools/cli'])
    await fs.mkdir(path.join(ws, pkg), { recursive: true })
  await fs.writeFile(path.join(ws, 'libs/common/pyproject.toml'), '[project]\nname = "common"\n')
  await fs.writeFile(
    path.join(ws, 'libs/extra/setup.py'),
    'from setuptools import setup\nsetup()\n'
  )
  await fs.writeFile(path.join(ws, 'tools/cli/pyproject.toml'), '[project]\nname = "cli"\n')
  await fs.mkdir(path.join(ws, 'reqs'), { recursive: true })
  await fs.writeFile(
    path.join(ws, 'requirements.txt'),
    [
      '# the layer',
      'requests>=2 --hash=sha256:aaaa',
      '-r reqs/base.txt',
      '-c constraints.txt',
      '-e ./libs/common  # editable in development',
      './libs/extra[fast] ; python_version >= "3.9"',
      'cli @ file://${WS}/tools/cli',
      'local-wheel @ https://example.com/x-1.0-py3-none-any.whl',
      './dist/prebuilt-1.0-py3-none-any.whl',
      ''
    ].join('\n')
  )
  await fs.writeFile(path.join(ws, 'reqs/base.txt'), 'six \\\n  >=1.16\nfile:../libs/common\n')
  await fs.writeFile(path.join(ws, 'constraints.txt'), 'six<2\n')
})

after(async () => {
  await fs.rm(ws, { recursive: true, force: true })
})

test('finds ./path, -e ./path, name @ file://, file: and nested -r local packages, with extras and markers', async () => {
  const tree = await findLocalPackages(path.join(ws, 'requirements.txt'), {
    cwd: ws,
    workspace: ws,
    env: { WS: ws }
  })
  assert.equal(tree.hashes, true)
  assert.deepEqual(
    tree.locals.map(l => [l.where, path.relative(ws, l.source), l.extras, l.marker]),
    [
      // -r is read where it stands, as pip reads it
      ['reqs/base.txt:3', 'libs/common', '', ''],
      ['requirements.txt:5', 'libs/common', '', ''],
      ['requirements.txt:6', 'libs/extra', '[fast]', 'python_version >= "3.9"'],
      ['requirements.txt:7', 'tools/cli', '', '']
    ]
  )
})

test('the rewritten copy pins each built wheel by URL with its hash, and keeps -r/-c resolving', async () => {
  const requirements = path.join(ws, 'requirements.txt')
  const tree = await findLocalPackages(requirements, { cwd: ws, workspace: ws, env: { WS: ws } })
  const built = path.join(ws, 'built')
  await fs.mkdir(built, { recursive: true })
  const wheels = new Map<string, { file: string; name: string }>()
  for (const [dir, name] of [
    ['libs/common', 'common'],
    ['libs/extra', 'extra'],
    ['tools/cli', 'cli']
  ]) {
    const file = path.join(built, `${name}-1.0-py3-none-any.whl`)
    await fs.writeFile(file, name)
    wheels.set(path.join(ws, dir), { file, name })
  }
  const out = path.join(ws, 'out')
  const top = await rewriteRequirements(tree, wheels, { outDir: out, cwd: ws, env: { WS: ws } })
  const lines = (await fs.readFile(top, 'utf8')).split('\n')
  const url = (n: string) => pathToFileURL(path.join(built, `${n}-1.0-py3-none-any.whl`)).href
  assert.equal(lines[1], 'requests>=2 --hash=sha256:aaaa')
  assert.equal(lines[2], `-r ${path.join(out, '1-base.txt')}`)
  assert.equal(lines[3], `-c ${path.join(ws, 'constraints.txt')}`)
  assert.match(lines[4], new RegExp(`^common @ ${url('common')} --hash=sha256:[0-9a-f]{64}$`))
  assert.match(
    lines[5],
    new RegExp(
      `^extra\\[fast\\] @ ${url('extra')} ; python_version >= "3\\.9" --hash=sha256:[0-9a-f]{64}$`
    )
  )
  assert.match(lines[6], new RegExp(`^cli @ ${url('cli')} --hash=`))
  assert.equal(lines[7], 'local-wheel @ https://example.com/x-1.0-py3-none-any.whl')
  assert.equal(lines[8], './dist/prebuilt-1.0-py3-none-any.whl')
  const nested = (await fs.readFile(path.join(out, '1-base.txt'), 'utf8')).split('\n')
  // the continuation stays as written; the local line is swapped in place, line numbers kept
  assert.deepEqual(nested.slice(0, 2), ['six \\', '  >=1.16'])
  assert.match(nested[2], new RegExp(`^common @ ${url('common')}`))
})

test('a VCS requirement, plain or editable, is an input error naming the file and line', async () => {
  for (const [line, shown] of [
    ['git+https://github.com/org/lib.git@v1#egg=lib', 'git+https'],
    ['-e git+ssh://git@github.com/org/lib.git#egg=lib', '-e git+ssh'],
    ['lib @ hg+https://hg.example.com/lib', 'lib @ hg+https']
  ]) {
    const file = path.join(ws, 'vcs.txt')
    await fs.writeFile(file, `six\n\n${line}\n`)
    await assert.rejects(
      findLocalPackages(file, { cwd: ws, workspace: ws }),
      (e: unknown) =>
        e instanceof InputError &&
        e.message.startsWith(`Input 'requirements' has an invalid value "vcs.txt:3: ${shown}`) &&
        /VCS requirement/.test(e.message)
    )
  }
})

test('a folder that is no Python project is an input error; a plain requirements file has no locals', async () => {
  await fs.mkdir(path.join(ws, 'docs'), { recursive: true })
  const file = path.join(ws, 'docs.txt')
  await fs.writeFile(file, './docs\n')
  await assert.rejects(
    findLocalPackages(file, { cwd: ws, workspace: ws }),
    /docs\.txt:1: \.\/docs.*has neither/
  )
  await fs.writeFile(
    file,
    'requests==2.32.3\nsix ; python_version < "3"\n--index-url https://x/simple\n'
  )
  const tree = await findLocalPackages(file, { cwd: ws, workspace: ws })
  assert.deepEqual(tree.locals, [])
})

test('a local package outside the workspace and the runner temp folder is refused, naming it: -e ../x, name @ file:///…, a symlink pointing out', async () => {
  const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'layer-local-out-')))
  const project = path.join(root, 'project')
  const outside = path.join(root, 'outside', 'pkg')
  await fs.mkdir(path.join(project, 'libs'), { recursive: true })
  await fs.mkdir(outside, { recursive: true })
  await fs.writeFile(path.join(outside, 'pyproject.toml'), '[project]\nname = "pkg"\n')
  await fs.symlink(outside, path.join(project, 'libs', 'link'))
  // RUNNER_TEMP set: the OS temp folder (where this test lives) is no longer allowed
  const env = { RUNNER_TEMP: path.join(root, 'runner-temp') }
  const refused = async (line: string, message: RegExp): Promise<void> => {
    await fs.writeFile(path.join(project, 'requirements.txt'), `${line}\n`)
    await assert.rejects(
      findLocalPackages(path.join(project, 'requirements.txt'), {
        cwd: project,
        workspace: project,
        env
      }),
      (e: unknown) =>
        e instanceof InputError &&
        e.value === `requirements.txt:1: ${line}` &&
        message.test(e.message)
    )
  }
  await refused('-e ../outside/pkg', new RegExp(`${outside} is outside the workspace`))
  await refused(`pkg @ ${pathToFileURL(outside).href}`, /is outside the workspace/)
  await refused(
    './libs/link',
    new RegExp(`libs/link \\(it resolves to ${outside}\\) is outside the workspace`)
  )
  await refused('/etc/ssl', /\/etc\/ssl is outside the workspace/)
  // the same package copied under RUNNER_TEMP (as a step before may do) is taken
  const inTemp = path.join(env.RUNNER_TEMP, 'pkg')
  await fs.cp(outside, inTemp, { recursive: true })
  await fs.writeFile(
    path.join(project, 'requirements.txt'),
    `pkg @ ${pathToFileURL(inTemp).href}\n`
  )
  const tree = await findLocalPackages(path.join(project, 'requirements.txt'), {
    cwd: project,
    workspace: project,
    env
  })
  assert.deepEqual(
    tree.locals.map(l => l.source),
    [inTemp]
  )
  await fs.rm(root, { recursive: true, force: true })
})
