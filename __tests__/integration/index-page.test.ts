/**
 * The one index reader (src/python/index-page.ts): PEP 503 HTML and PEP 691 JSON pages of the same
 * project give the same files, with PEP 658/714 metadata that is fetched and hash-checked; `file:`
 * indexes are read as pip reads a tree of pages, and also as plain folders. The pages come from a
 * real server on 127.0.0.1 (helpers/index-servers.ts) serving what makeIndex writes.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { HttpClient } from '../../src/http'
import {
  IndexPageError,
  IndexReader,
  parseHtmlPage,
  parseJsonPage
} from '../../src/python/index-page'
import { makeIndex, makeWheel, type BuiltWheel } from '../helpers/wheels'
import { servePypiShapedIndex, serveShapedIndex, type ShapedIndex } from '../helpers/index-servers'

let tmp: string
let root: string
let wheels: BuiltWheel[]
const servers: ShapedIndex[] = []
const client = new HttpClient({ env: {}, timeouts: { stallMs: 2000, backoffMs: 10 } })

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-index-page-'))
  root = path.join(tmp, 'index')
  wheels = [
    await makeWheel(path.join(tmp, 'w'), {
      name: 'Some_Pkg',
      version: '1.0',
      tags: 'py3-none-any',
      requires: ['dep>=2']
    }),
    await makeWheel(path.join(tmp, 'w'), { name: 'Some_Pkg', version: '1.1', tags: 'py3-none-any' })
  ]
  await makeIndex(root, wheels)
})

after(async () => {
  await client.close()
  await Promise.all(servers.map(s => s.close()))
  await fs.rm(tmp, { recursive: true, force: true })
})

test('HTML attributes: hashes, requires-python, yanked, PEP 658 and PEP 714 metadata, <base>, entities', () => {
  const page = 'https://idx.example/simple/a/'
  const files = parseHtmlPage(
    `<base href="https://files.example/pkgs/">
     <a href="a-1.0-py3-none-any.whl#sha256=AB12" data-requires-python="&gt;=3.9" data-core-metadata="sha256=cd34">a</a>
     <a href='a-0.9.tar.gz' data-yanked="broken build" data-dist-info-metadata="true">a</a>
     <a href="/elsewhere/a-0.8-py3-none-any.whl?x=1&amp;y=2" data-yanked="">a</a>`,
    page
  )
  assert.deepEqual(files, [
    {
      filename: 'a-1.0-py3-none-any.whl',
      url: 'https://files.example/pkgs/a-1.0-py3-none-any.whl',
      hashes: { sha256: 'ab12' },
      requiresPython: '>=3.9',
      yanked: undefined,
      metadata: { sha256: 'cd34' }
    },
    {
      filename: 'a-0.9.tar.gz',
      url: 'https://files.example/pkgs/a-0.9.tar.gz',
      hashes: {},
      requiresPython: undefined,
      yanked: 'broken build',
      metadata: {}
    },
    {
      filename: 'a-0.8-py3-none-any.whl',
      url: 'https://files.example/elsewhere/a-0.8-py3-none-any.whl?x=1&y=2',
      hashes: {},
      requiresPython: undefined,
      yanked: true,
      metadata: undefined
    }
  ])
  assert.throws(
    () =>
      parseJsonPage('{"files":[{"filename":"x","url":"../..%2Fx-1.0-py3-none-any.whl"}]}', page),
    IndexPageError
  )
})

test('the PyPI-shaped index answers JSON (PEP 691) to the reader and HTML to others: the same files, and the metadata files check out', async () => {
  const pypi = await servePypiShapedIndex(root, { latencyMs: 5 })
  servers.push(pypi)
  const reader = new IndexReader(client)
  const page = await reader.project(pypi.plainUrl, 'some.pkg')
  assert.ok(pypi.requests.some(r => /vnd\.pypi\.simple\.v1\+json/.test(r.headers.accept ?? '')))
  const html = await client.get(`${pypi.plainUrl}some-pkg/`, { accept: 'text/html' })
  const fromHtml = parseHtmlPage(html.body.toString(), `${pypi.plainUrl}some-pkg/`)
  assert.deepEqual(
    page.files.map(f => [f.filename, f.url, f.hashes.sha256, f.metadata?.sha256]),
    fromHtml.map(f => [f.filename, f.url, f.hashes.sha256, f.metadata?.sha256])
  )
  assert.equal(page.files.length, 2)
  const metadata = await reader.metadata(
    page.files.find(f => f.filename.includes('1.0')) ?? page.files[0]
  )
  assert.match(metadata ?? '', /^Requires-Dist: dep>=2$/m)
  // a metadata file that does not match the page's hash is refused
  await assert.rejects(
    reader.metadata({ ...page.files[0], metadata: { sha256: '0'.repeat(64) } }),
    IndexPageError
  )
  // each page is read once per reader
  const before = pypi.requests.length
  await reader.project(pypi.plainUrl, 'Some-Pkg')
  assert.equal(pypi.requests.length, before)
})

test('a 404 is "not on this index"; a file: index is a tree of pages, of plain folders, or one flat folder', async () => {
  const served = await serveShapedIndex(root)
  servers.push(served)
  const reader = new IndexReader(client)
  assert.equal((await reader.project(served.plainUrl, 'missing')).notFound, true)
  const names = async (index: string) =>
    (await reader.project(index, 'some-pkg')).files.map(f => f.filename).sort()
  const expected = wheels.map(w => w.filename).sort()
  assert.deepEqual(await names(pathToFileURL(path.join(root, 'simple')).href), expected)
  const folders = path.join(tmp, 'folders')
  await fs.mkdir(path.join(folders, 'some-pkg'), { recursive: true })
  for (const w of wheels) await fs.copyFile(w.path, path.join(folders, 'some-pkg', w.filename))
  assert.deepEqual(await names(pathToFileURL(folders).href), expected)
  assert.deepEqual(await names(pathToFileURL(path.join(root, 'files')).href), expected)
  const empty = await reader.project(pathToFileURL(path.join(root, 'files')).href, 'other')
  assert.deepEqual([empty.files.length, empty.notFound], [0, true])
})
