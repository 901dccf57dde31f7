/**
 * End to end: what the bundled dist/index.js loads. The AWS SDK, Octokit, the Actions cache client
 * and CycloneDX sit in chunks that load on the paths that use them (dynamic import()), so start-up
 * parses none of them and a build that publishes nothing never loads the AWS SDK. A module hook in
 * the action's process records every script it loads; a static import of one of those libraries
 * put back anywhere on the start-up path puts it in index.js, and this test fails.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ok, ROOT, runAction } from '../helpers/action'
import { hermeticPipEnv } from '../helpers/pip-env'
import { localPython } from '../helpers/python'
import { greetingProject, type GreetingProject } from '../helpers/greeting'

const DIST = path.join(ROOT, 'dist')

/** Each library by a line of its own code (a class it defines), not by a name our code mentions. */
const LIBRARIES = {
  'the AWS SDK (Lambda, S3, SSM)': 'class LambdaClient extends',
  'the AWS SDK (CodeArtifact)': 'class CodeartifactClient extends',
  'Octokit (@actions/github)': 'class Octokit',
  'the Actions cache client (@actions/cache, Azure storage)': 'class BlobServiceClient',
  CycloneDX: 'class Bom '
}

/** The scripts of dist/ that hold `marker`. */
function scriptsDefining(marker: string): string[] {
  return readdirSync(DIST)
    .filter(f => f.endsWith('.js'))
    .filter(f => readFileSync(path.join(DIST, f), 'utf8').includes(marker))
}

const PY = localPython()
let project: GreetingProject

before(async () => {
  project = await greetingProject('layer-e2e-lazy-')
})

after(() => project?.close())

test('start-up parses none of the SDKs: each is defined in a chunk of its own, not in index.js', () => {
  for (const [library, marker] of Object.entries(LIBRARIES)) {
    const scripts = scriptsDefining(marker)
    // the marker still names the library: the bundle holds it somewhere
    assert.ok(scripts.length > 0, `no script of dist/ defines ${library} ('${marker}')`)
    assert.ok(!scripts.includes('index.js'), `${library} is in index.js: a static import is back`)
  }
})

test('a build with publish: false never loads the AWS SDK or Octokit; the cache client and CycloneDX load when used', async () => {
  // the hook runs in the action's process and writes the path of every script it loads
  const loaded = path.join(project.dir, 'loaded.txt')
  const hook = path.join(project.dir, 'record-loads.mjs')
  await writeFile(
    hook,
    `import { registerHooks } from 'node:module'
import { appendFileSync } from 'node:fs'
registerHooks({
  load(url, context, next) {
    if (url.startsWith('file:')) appendFileSync(${JSON.stringify(loaded)}, url + '\\n')
    return next(url, context)
  }
})
`
  )
  ok(
    await runAction({
      inputs: {
        'layer-name': 'common',
        'python-version': PY,
        'index-url': project.index.url,
        publish: 'false',
        cache: 'true',
        sbom: 'true',
        'compare-with': 'auto'
      },
      workspace: project.sandbox.work,
      env: {
        ...hermeticPipEnv(),
        ...project.cacheEnv,
        NODE_OPTIONS: `--import=${hook}`
      },
      runnerTemp: path.join(project.dir, 'runner-temp')
    })
  )
  const scripts = new Set(
    (await readFile(loaded, 'utf8'))
      .split('\n')
      .filter(url => url !== '')
      .map(url => fileURLToPath(url))
      .filter(file => path.dirname(file) === DIST)
      .map(file => path.basename(file))
  )
  assert.ok(scripts.has('index.js'), `the hook saw no dist/index.js: ${[...scripts].join(', ')}`)
  const loadedLibrary = (library: keyof typeof LIBRARIES) =>
    scriptsDefining(LIBRARIES[library]).some(f => scripts.has(f))
  // the chunks are seen when they load: the cache and the SBOM were used
  assert.ok(loadedLibrary('the Actions cache client (@actions/cache, Azure storage)'))
  assert.ok(loadedLibrary('CycloneDX'))
  for (const library of [
    'the AWS SDK (Lambda, S3, SSM)',
    'the AWS SDK (CodeArtifact)',
    'Octokit (@actions/github)'
  ] as const)
    assert.ok(
      !loadedLibrary(library),
      `${library} was loaded by a build that publishes nothing (loaded: ${[...scripts].join(', ')})`
    )
})
