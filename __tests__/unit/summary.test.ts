/**
 * What reaches the job summary: every piece of text escaped (rendered with markdown-it, CommonMark
 * with GitHub's tables and strikethrough, raw HTML allowed as on GitHub), plurals, and the summary of
 * a failed run, built through RunProgress as run() builds it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import MarkdownIt from 'markdown-it'
import { code, escapeMarkdown, fenced, link, mermaidLabel, row } from '../../src/markdown'
import { plural } from '../../src/words'
import { failureSummary, RunProgress } from '../../src/progress'
import { summaryOf, type RunResult } from '../../src/report'
import type { DeliveryResult } from '../../src/deliver/deliver'
import { DeliveryError } from '../../src/deliver/outcome'
import { RegionsFailedError } from '../../src/deliver/regions'
import { HandOffError } from '../../src/handoff-steps'
import { LayerActionError } from '../../src/errors'
import { findRuntime } from '../../src/runtimes'
import type { ActionInputs } from '../../src/inputs'
import type { ZipResult } from '../../src/assemble/zip'

const md = new MarkdownIt({ html: true }).enable(['table', 'strikethrough'])

/** The text of an HTML fragment as a reader sees it: tags dropped, entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

/** The cells of every table row, as rendered. */
function cells(markdown: string): string[][] {
  const html = md.render(markdown)
  return [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(r =>
    [...r[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map(c => textOf(c[1]))
  )
}

/** Tags markdown-it produced; user text must add none. */
function tags(markdown: string): Set<string> {
  return new Set([...md.render(markdown).matchAll(/<([a-z0-9]+)/g)].map(m => m[1]))
}

const HOSTILE = [
  'evil<script>alert(1)</script>',
  'a|b',
  '`tick` and ``two``',
  '*bold* _it_ ~~strike~~ ~one~',
  '[link](https://example.com) ![img](https://example.com/x.png)',
  'back\\slash\\',
  '&amp; stays &amp;',
  '<img src=x onerror=alert(1)>',
  'typing_extensions __init__.py _private',
  '# not a heading',
  'two\nlines'
]

test('escapeMarkdown: each hostile text renders as itself in a table cell, adding no markup', () => {
  for (const text of HOSTILE) {
    const table = [
      row(['name', 'code']),
      '|---|---|',
      row([escapeMarkdown(text), code(text)])
    ].join('\n')
    const rows = cells(table)
    assert.equal(rows.length, 2, text)
    assert.deepEqual(rows[1], [text, text], text)
    const produced = tags(table)
    for (const tag of produced)
      assert.ok(
        ['table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'br'].includes(tag),
        `${JSON.stringify(text)} produced <${tag}>`
      )
  }
})

test('escapeMarkdown in a paragraph keeps its lines, and an _ inside a name stays as written', () => {
  assert.equal(escapeMarkdown('typing_extensions'), 'typing_extensions')
  assert.equal(escapeMarkdown('_x_'), '\\_x\\_')
  assert.equal(
    textOf(md.render(escapeMarkdown('- feat: add `x`\n- fix: y'))).trim(),
    'feat: add `x`\nfix: y'
  )
})

test('fenced: a message holding a fence of its own stays inside one block', () => {
  const message = 'pip said:\n```\nboom\n```\nand then ````more````'
  const html = md.render(fenced(message))
  assert.equal((html.match(/<pre>/g) ?? []).length, 1)
  assert.equal(textOf(html).trim(), message)
})

test('link: a hostile address cannot break out of the link, mermaid labels lose what ends them', () => {
  const html = md.render(link('v1 [x]', 'https://x.example/a b)<c>'))
  assert.match(html, /<a href="https:\/\/x\.example\/a%20b\)%3Cc%3E">v1 \[x\]<\/a>/)
  assert.equal(mermaidLabel('pkg" : 1\n```\n<b>'), 'pkg  1b')
})

test('plural: one file, two files, 1,234 entries', () => {
  assert.equal(plural(1, 'file'), '1 file')
  assert.equal(plural(0, 'file'), '0 files')
  assert.equal(plural(1234, 'entry', 'entries'), '1,234 entries')
  assert.equal(plural(1, 'entry', 'entries'), '1 entry')
})

const runtime = findRuntime('3.12')!
const inputs = (more: Partial<ActionInputs> = {}) =>
  ({
    publishedName: 'common-dev',
    runtime,
    architecture: 'x86_64',
    compatibleRuntimes: ['python3.12'],
    regions: ['eu-west-1'],
    publish: true,
    smokeTest: true,
    githubRelease: false,
    ...more
  }) as unknown as ActionInputs

const zip = { path: '/tmp/x.zip', zipSize: 2_000_000, unzippedSize: 9_000_000 } as ZipResult

function published(region: string, version: number): DeliveryResult {
  return {
    region,
    published: true,
    layerArn: `arn:aws:lambda:${region}:123456789012:layer:common-dev`,
    layerVersionArn: `arn:aws:lambda:${region}:123456789012:layer:common-dev:${version}`,
    version,
    codeSha256: 'abc=',
    s3: { bucket: `b-${region}`, key: 'layers/common-dev/1/common-dev.zip' },
    rerun: false,
    commit: 'abc1234',
    deleted: [],
    shared: [],
    functions: [],
    changes: []
  }
}

/** Runs steps as run() does, the last one failing with `error`; returns the failure summary. */
async function failAt(
  steps: { name: Parameters<RunProgress['step']>[0]; value?: unknown }[],
  error: unknown
): Promise<{ summary: string; progress: RunProgress }> {
  const progress = new RunProgress()
  for (const s of steps.slice(0, -1)) await progress.step(s.name, () => s.value as never)
  await assert.rejects(
    progress.step(steps[steps.length - 1].name, () => {
      throw error
    })
  )
  return { summary: failureSummary(error, progress), progress }
}

const rowsOf = (summary: string) => Object.fromEntries(cells(summary).map(r => [r[0], r[1]]))

test('a run failing in assemble: the step, the error, every later step not run, nothing done outside', async () => {
  const { summary } = await failAt(
    [
      { name: 'inputs', value: inputs() },
      { name: 'plan' },
      { name: 'resolve' },
      { name: 'assemble' }
    ],
    new LayerActionError('Nothing to put in the layer: requirements.txt installs no package')
  )
  assert.match(summary, /^## Lambda layer <code>common-dev<\/code>: failed in the assemble step/)
  assert.match(md.render(summary), /<pre><code class="language-text">Nothing to put in the layer/)
  const r = rowsOf(summary)
  assert.equal(r.plan, 'done')
  assert.equal(r.assemble, 'failed')
  assert.equal(r.zip, 'not run')
  assert.equal(r['hand-off'], 'not run')
  assert.equal(r['Uploaded to S3'], 'no (the run stopped before publishing)')
  assert.equal(r['Layer version published'], 'no (the run stopped before publishing)')
  assert.equal(r['Tag pushed'], 'no')
  assert.equal(r['GitHub Release'], 'no')
})

test('a run failing in one of two regions: what was uploaded and published, and where it is not known', async () => {
  const error = new RegionsFailedError(
    'Delivery failed in 1 of 2 regions',
    [published('eu-west-1', 4)],
    [{ region: 'us-east-1', error: new LayerActionError('AccessDenied') }]
  )
  const { summary } = await failAt(
    [
      { name: 'inputs', value: inputs({ regions: ['eu-west-1', 'us-east-1'] }) },
      { name: 'plan' },
      { name: 'resolve' },
      { name: 'assemble' },
      { name: 'zip', value: zip },
      { name: 'smoke' },
      { name: 'hand-off' }
    ],
    error
  )
  const r = rowsOf(summary)
  assert.equal(r.zip, 'done: 1.9 MB zipped, 8.6 MB unzipped')
  assert.equal(r['hand-off'], 'failed at Publish')
  assert.match(
    r['Uploaded to S3'],
    /^yes: s3:\/\/b-eu-west-1\/layers\/common-dev\/1\/common-dev\.zip; not known in us-east-1/
  )
  assert.match(
    r['Layer version published'],
    /^yes: arn:aws:lambda:eu-west-1:123456789012:layer:common-dev:4; not known in us-east-1/
  )
  assert.equal(r['Tag pushed'], 'no (the hand-off stopped at Publish)')
})

test('a region that failed after its version existed: published, the tag not pushed', async () => {
  const error = new DeliveryError(
    'then: UpdateFunctionConfiguration failed',
    'eu-west-1',
    published('eu-west-1', 9)
  )
  const { summary } = await failAt(
    [{ name: 'inputs', value: inputs() }, { name: 'zip', value: zip }, { name: 'hand-off' }],
    error
  )
  const r = rowsOf(summary)
  assert.match(r['Layer version published'], /^yes: .*common-dev:9$/)
  assert.match(r['Uploaded to S3'], /^yes: s3:\/\/b-eu-west-1\//)
})

for (const [step, notDone, tag] of [
  ['Tag', ['GitHub Release'], 'no (the hand-off stopped at Tag)'],
  [
    'GitHub Release',
    [],
    /^not known from here: the hand-off failed at GitHub Release, after its Tag step/
  ]
] as const) {
  test(`the hand-off failing at ${step}: the version stays published, what was not done is listed`, async () => {
    const error = new HandOffError(
      step,
      [published('eu-west-1', 5)],
      notDone,
      new LayerActionError('fatal: could not read from remote repository')
    )
    const { summary } = await failAt(
      [{ name: 'inputs', value: inputs() }, { name: 'zip', value: zip }, { name: 'hand-off' }],
      error
    )
    const r = rowsOf(summary)
    assert.equal(
      r['hand-off'],
      `failed at ${step}${notDone.length ? `; not done: ${notDone.join(', ')}` : ''}`
    )
    assert.match(r['Layer version published'], /^yes: .*common-dev:5$/)
    assert.match(
      r['Tag pushed'],
      typeof tag === 'string' ? new RegExp(`^${tag.replace(/[()]/g, '\\$&')}$`) : tag
    )
    assert.equal(r['GitHub Release'], `no (the hand-off stopped at ${step})`)
    assert.match(summary, /Re-run this job: it reuses that version/)
  })
}

test('publish: false, failing in the smoke test beside a finished zip; the zip step is still done', async () => {
  const progress = new RunProgress()
  await progress.step('inputs', () => inputs({ publish: false }))
  const error = new LayerActionError('python3.12 cannot import broken_pkg')
  await assert.rejects(
    Promise.all([
      progress.step('zip', async () => {
        await new Promise(resolve => setTimeout(resolve, 20))
        return zip
      }),
      progress.step('smoke', () => Promise.reject(error))
    ])
  )
  await new Promise(resolve => setTimeout(resolve, 40))
  const summary = failureSummary(error, progress)
  assert.match(summary, /failed in the smoke step/)
  const r = rowsOf(summary)
  assert.equal(r.smoke, 'failed')
  assert.match(r.zip, /^done: /)
  assert.equal(r['hand-off'], 'not run')
  assert.equal(r['Uploaded to S3'], 'no (publish: false)')
  assert.equal(r['Tag pushed'], 'no (publish: false)')
})

test('a bad input: no layer name yet, the inputs step failed, its message shown as written', async () => {
  const message = 'Input \'layer-name\' has an invalid value "a|b <x>": letters, digits'
  const { summary } = await failAt([{ name: 'inputs' }], new LayerActionError(message))
  assert.match(summary, /^## layer-action: failed in the inputs step/)
  assert.equal(textOf(md.render(fenced(message))).trim(), message)
  assert.ok(summary.includes(fenced(message)))
  assert.equal(rowsOf(summary).inputs, 'failed')
})

test('the summary of a built layer escapes package names, exclude patterns and function names', () => {
  const hostile = 'evil|pkg <b>x</b> *y*'
  const r = {
    inputs: inputs({ publish: true }),
    plan: {
      runtimeLabel: 'python3.12 (Amazon Linux 2023, glibc 2.34, x86_64)',
      release: {
        version: '1.0.0',
        previousVersion: '',
        bump: 'none',
        tag: 'v1.0.0',
        newTag: true,
        changes: { breaking: [], features: [], fixes: [], other: [] }
      }
    },
    layer: {
      wheels: ['a.whl'],
      cache: 'off',
      slim: {
        removedFiles: 1,
        removedBytes: 10,
        byRule: [{ rule: "exclude '**/*.pyi'", reason: 'you asked', files: 1, bytes: 10 }]
      },
      size: {
        totalBytes: 100,
        files: 1,
        packages: [{ name: hostile, bytes: 100, files: 1, paths: ['x/'] }]
      }
    },
    zip: { ...zip, entries: 1, stored: 0, sha256: 'abc=' },
    deliveries: [
      {
        ...published('eu-west-1', 1),
        functions: [{ name: 'fn|<i>x</i>', status: 'updated' }]
      }
    ],
    tag: { tag: 'v1.0.0', status: 'created' }
  } as unknown as RunResult
  const s = summaryOf(r)
  const all = cells(s)
  assert.ok(
    all.some(c => c[0] === hostile && c[1] === '100 B'),
    JSON.stringify(all)
  )
  assert.ok(all.some(c => c[0] === "exclude '**/*.pyi'"))
  assert.ok(all.some(c => c.includes('fn|<i>x</i>: updated')))
  assert.ok(all.some(c => c[0] === 'Zip' && c[1] === '1.9 MB (1 entry)'))
  assert.match(s, /### Left out: 10 B in 1 file\n/)
  assert.doesNotMatch(md.render(s), /<b>|<i>|<em>/)
})
