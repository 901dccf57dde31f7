/**
 * contents/ as pure code: core metadata, declared licenses, the Requires-Dist graph for the target,
 * the diff, the SBOM (checked by the CycloneDX library's own JSON validator), and the markdown the
 * summary and the pull-request comment show.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Validation } from '@cyclonedx/cyclonedx-library'
import { Version } from '@cyclonedx/cyclonedx-library/Spec'
import { parseCoreMetadata, type CoreMetadata } from '../../src/python/metadata'
import { declaredLicenses } from '../../src/contents/licenses'
import { requirementGraph } from '../../src/python/graph'
import { parseRequirement } from '../../src/python/requirements'
import { diffPackages } from '../../src/contents/diff'
import { layerSbom, pypiPurl, uuidV5, type SbomSubject } from '../../src/contents/sbom'
import { contentsMarkdown } from '../../src/contents/markdown'
import { displayUrl, parseContentRange } from '../../src/contents/http-range'
import { rangeHeader } from '../../src/http'
import { commentBody, commentMarker, pullRequestOf } from '../../src/contents/pr-comment'
import { sbomKeyOf, layerKeyPrefix } from '../../src/contents/own-upload'
import { markerEnvironment, findRuntime } from '../../src/runtimes'
import type { LayerPackage } from '../../src/contents/packages'

const meta = (text: string) => parseCoreMetadata(text) as CoreMetadata
const py312 = findRuntime('3.12')!

test('core metadata: folded fields, several Classifier and Requires-Dist, the body never read, UNKNOWN is no license', () => {
  const m = meta(
    [
      'Metadata-Version: 2.1',
      'Name: Typing_Extensions',
      'Version: 4.12.2',
      'License: Copyright (c) 2020',
      '        All rights reserved.',
      'Classifier: License :: OSI Approved :: MIT License',
      'Classifier: Programming Language :: Python',
      'Requires-Dist: idna>=2.5',
      'Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == "socks"',
      '',
      'Name: not-a-header (the description)',
      'Requires-Dist: nothing'
    ].join('\r\n')
  )
  assert.equal(m.name, 'Typing_Extensions')
  assert.equal(m.version, '4.12.2')
  assert.equal(m.license, 'Copyright (c) 2020\nAll rights reserved.')
  assert.deepEqual(m.classifiers, [
    'License :: OSI Approved :: MIT License',
    'Programming Language :: Python'
  ])
  assert.deepEqual(m.requiresDist, ['idna>=2.5', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"'])
  assert.equal(meta('Name: a\nVersion: 1\nLicense: UNKNOWN\n').license, undefined)
  assert.equal(parseCoreMetadata('Name: a\n'), undefined, 'no Version: not a distribution')
  assert.equal(parseCoreMetadata('garbage without colons\n\x00\x01'), undefined)
})

test('licenses: License-Expression first, then a short License, then the classifiers, then the License text', () => {
  const json = (m: string) =>
    declaredLicenses(meta(`Name: p\nVersion: 1\n${m}`)).map(l => JSON.parse(JSON.stringify(l)))
  const ids = (m: string) =>
    declaredLicenses(meta(`Name: p\nVersion: 1\n${m}`)).map(l =>
      'expression' in l ? `expr:${l.expression}` : 'id' in l ? `id:${l.id}` : `name:${l.name}`
    )
  assert.deepEqual(
    ids(
      'License-Expression: MIT OR Apache-2.0\nLicense: BSD\nClassifier: License :: OSI Approved :: ISC License (ISCL)'
    ),
    ['expr:MIT OR Apache-2.0']
  )
  assert.deepEqual(ids('License-Expression: MIT'), ['id:MIT'])
  assert.deepEqual(ids('License: Apache-2.0'), ['id:Apache-2.0'])
  assert.deepEqual(ids('License: BSD'), ['name:BSD'])
  assert.deepEqual(
    ids(
      [
        'License: ' + 'x'.repeat(200),
        'Classifier: License :: OSI Approved :: MIT License',
        'Classifier: License :: OSI Approved :: Apache Software License',
        'Classifier: License :: OSI Approved',
        'Classifier: Topic :: Utilities'
      ].join('\n')
    ),
    ['id:MIT', 'name:Apache Software License']
  )
  const text = declaredLicenses(
    meta('Name: p\nVersion: 1\nLicense: Copyright 2020\n  All rights\n')
  )
  assert.equal(text.length, 1)
  assert.ok('name' in text[0] && text[0].name === 'declared license of p')
  assert.equal(json('')[0], undefined, 'no license declared: none made up')
})

test('Requires-Dist graph for the target: markers for python3.12 on each architecture, extras switched on by who asks, URLs, names outside the set ignored', () => {
  assert.deepEqual(parseRequirement('PySocks!=1.5.7,>=1.5.6; extra == "socks"'), {
    name: 'PySocks',
    project: 'pysocks',
    extras: [],
    specifier: '!=1.5.7,>=1.5.6',
    url: undefined,
    marker: 'extra == "socks"'
  })
  assert.deepEqual(parseRequirement('pkg @ https://x.example/a;b.whl ; python_version >= "3"'), {
    name: 'pkg',
    project: 'pkg',
    extras: [],
    specifier: '',
    url: 'https://x.example/a;b.whl',
    marker: 'python_version >= "3"'
  })
  assert.deepEqual(parseRequirement('Requests[SOCKS, Security_X] (>=2)'), {
    name: 'Requests',
    project: 'requests',
    extras: ['socks', 'security-x'],
    specifier: '>=2',
    url: undefined,
    marker: ''
  })
  const nodes = [
    {
      name: 'app',
      requiresDist: ['requests[socks]>=2', 'uvloop; platform_machine == "x86_64"', 'numpy']
    },
    {
      name: 'requests',
      requiresDist: [
        'urllib3<3',
        'pysocks>=1.5; extra == "socks"',
        'chardet; extra == "use-chardet"',
        'tomli; python_version < "3.11"'
      ]
    },
    { name: 'urllib3', requiresDist: ['brotli; extra == "brotli"', 'weird; this is not a marker'] },
    { name: 'pysocks', requiresDist: [] },
    { name: 'uvloop', requiresDist: [] },
    { name: 'chardet', requiresDist: [] },
    { name: 'tomli', requiresDist: [] },
    { name: 'weird', requiresDist: ['app'] }
  ]
  const x86 = requirementGraph(nodes, markerEnvironment(py312, 'x86_64'))
  assert.deepEqual(x86.get('app'), ['requests', 'uvloop'], 'numpy is not in the set')
  assert.deepEqual(x86.get('requests'), ['pysocks', 'urllib3'])
  assert.deepEqual(x86.get('urllib3'), ['weird'], 'a marker that does not parse keeps its edge')
  assert.deepEqual(x86.get('weird'), ['app'], 'a cycle is a graph too')
  const arm = requirementGraph(nodes, markerEnvironment(py312, 'arm64'))
  assert.deepEqual(arm.get('app'), ['requests'])
})

test('diff: added, removed and changed, PEP 503 names sorted; a project held twice lists both versions', () => {
  const arn = 'arn:aws:lambda:eu-west-1:123456789012:layer:common-dev:7'
  const changes = diffPackages(
    arn,
    [
      { name: 'urllib3', version: '1.26.18' },
      { name: 'six', version: '1.16.0' },
      { name: 'requests', version: '2.32.3' },
      { name: 'dup', version: '1.0' },
      { name: 'dup', version: '2.0' }
    ],
    [
      { name: 'requests', version: '2.32.3' },
      { name: 'urllib3', version: '2.2.3' },
      { name: 'idna', version: '3.10' },
      { name: 'charset-normalizer', version: '3.4.0' },
      { name: 'dup', version: '2.0' }
    ]
  )
  assert.deepEqual(changes, {
    'compared-with': arn,
    added: [
      { name: 'charset-normalizer', version: '3.4.0' },
      { name: 'idna', version: '3.10' }
    ],
    removed: [{ name: 'six', version: '1.16.0' }],
    changed: [
      { name: 'dup', from: '1.0, 2.0', to: '2.0' },
      { name: 'urllib3', from: '1.26.18', to: '2.2.3' }
    ]
  })
  assert.deepEqual(diffPackages(arn, [], []), {
    'compared-with': arn,
    added: [],
    removed: [],
    changed: []
  })
})

test('uuid v5 matches the RFC 4122 reference value; purls are pkg:pypi/<PEP 503 name>@<version>', () => {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com')
  assert.equal(
    uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    '2ed6657d-e927-568b-95e1-2665a8aea6a2'
  )
  assert.equal(pypiPurl('typing-extensions', '4.12.2'), 'pkg:pypi/typing-extensions@4.12.2')
})

const subject: SbomSubject = {
  layerName: 'common-dev',
  version: '1.4.0',
  runtime: 'python3.12',
  architecture: 'arm64',
  codeSha256: 'K5A9SQ3yqN5G7nT3ETU2Ebo0XxoE1kOWt1ew1wdfuUk=',
  codeSize: 1234,
  unzippedSize: 5678,
  toolVersion: '1.0.0'
}

function pkg(name: string, version: string, extra = ''): LayerPackage {
  return {
    key: name.toLowerCase().replace(/[-_.]+/g, '-'),
    path: `python/${name}-${version}.dist-info/METADATA`,
    metadata: meta(`Name: ${name}\nVersion: ${version}\n${extra}`)
  }
}

test("SBOM: valid CycloneDX 1.6 by the library's strict validator, no timestamp, the same input gives the same bytes and serial number, another input another serial number", async () => {
  const packages = [
    pkg('requests', '2.32.3', 'License: Apache-2.0'),
    pkg('urllib3', '2.2.3', 'License-Expression: MIT'),
    pkg('My_Pkg', '1.0+local.1', 'License: Copyright 2020\n  text')
  ]
  const origins = new Map([
    ['requests', { sha256: 'ab'.repeat(32), wheel: 'requests-2.32.3-py3-none-any.whl' }]
  ])
  const graph = { dependencies: new Map([['requests', ['urllib3']]]), roots: new Set(['requests']) }
  const a = layerSbom(subject, packages, origins, graph)
  const b = layerSbom(subject, [...packages].reverse(), origins, graph)
  assert.equal(a, b, 'byte-identical whatever the order it was given in')
  const validator = new Validation.JsonStrictValidator(Version.v1dot6)
  assert.equal(await validator.validate(a), null)
  const bom = JSON.parse(a)
  assert.equal(bom.specVersion, '1.6')
  assert.equal(bom.metadata.timestamp, undefined)
  assert.match(
    bom.serialNumber,
    /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  )
  assert.equal(bom.metadata.component.name, 'common-dev')
  assert.equal(bom.metadata.component.version, '1.4.0')
  assert.deepEqual(
    Object.fromEntries(
      bom.metadata.component.properties.map((p: { name: string; value: string }) => [
        p.name,
        p.value
      ])
    ),
    {
      'layer-action:architecture': 'arm64',
      'layer-action:code-sha256': subject.codeSha256,
      'layer-action:code-size': '1234',
      'layer-action:runtime': 'python3.12',
      'layer-action:unzipped-size': '5678'
    }
  )
  assert.equal(
    bom.metadata.component.hashes[0].content,
    Buffer.from(subject.codeSha256, 'base64').toString('hex')
  )
  assert.deepEqual(bom.metadata.tools.components, [
    { type: 'application', name: 'layer-action', version: '1.0.0' }
  ])
  assert.deepEqual(
    bom.components.map((c: { name: string; purl: string }) => [c.name, c.purl]),
    [
      ['My_Pkg', 'pkg:pypi/my-pkg@1.0+local.1'],
      ['requests', 'pkg:pypi/requests@2.32.3'],
      ['urllib3', 'pkg:pypi/urllib3@2.2.3']
    ]
  )
  const deps = Object.fromEntries(
    bom.dependencies.map((d: { ref: string; dependsOn?: string[] }) => [d.ref, d.dependsOn ?? []])
  )
  // My_Pkg: nothing requires it, so the layer does
  assert.deepEqual(deps['common-dev'], ['pkg:pypi/my-pkg@1.0+local.1', 'pkg:pypi/requests@2.32.3'])
  assert.deepEqual(deps['pkg:pypi/requests@2.32.3'], ['pkg:pypi/urllib3@2.2.3'])

  const other = layerSbom({ ...subject, version: '1.4.1' }, packages, origins, graph)
  assert.notEqual(JSON.parse(other).serialNumber, bom.serialNumber)
})

test('markdown: sizes against the compared version and the limit; names and versions from METADATA cannot break the table or inject HTML', () => {
  const arn = 'arn:aws:lambda:eu-west-1:123456789012:layer:common-dev:7'
  const lines = contentsMarkdown({
    zipSize: 12 * 1024 * 1024,
    unzippedSize: 60 * 1024 * 1024,
    packages: 3,
    compared: {
      layerVersionArn: arn,
      codeSha256: 'x',
      codeSize: 10 * 1024 * 1024,
      unzippedSize: 50 * 1024 * 1024,
      packages: [],
      source: 'location'
    },
    changes: {
      'compared-with': arn,
      added: [{ name: 'evil', version: '1.0|<img src=x onerror=alert(1)>' }],
      removed: [{ name: 'gone', version: '0.1' }],
      changed: [
        { name: 'urllib3', from: '1.26.18', to: '2.2.3' },
        { name: 'pinned', from: '2.0', to: '1.9' }
      ]
    }
  }).join('\n')
  assert.match(lines, /\| Zipped \| 12\.0 MB \| 10\.0 MB \| \+2\.0 MB \(\+20%\) \|/)
  assert.match(
    lines,
    /\| Unzipped \| 60\.0 MB · 24% of Lambda's 250\.0 MB \| 50\.0 MB \| \+10\.0 MB \(\+20%\) \|/
  )
  assert.match(lines, /\*\*2 changed, 1 added, 1 removed\*\*/)
  assert.match(lines, /\| urllib3 \| 1\.26\.18 \| 2\.2\.3 \| upgraded \|/)
  assert.match(lines, /\| pinned \| 2\.0 \| 1\.9 \| downgraded \|/)
  assert.match(lines, /\| gone \| 0\.1 \| — \| removed \|/)
  assert.ok(!lines.includes('<img'), 'HTML escaped')
  assert.match(lines, /\| evil \| — \| 1\.0\\\|&lt;img src=x onerror=alert\(1\)&gt; \| added \|/)
  // every row of the package table has its 4 cells: an escaped `|` is no cell border
  const table = lines.split('\n').filter(l => /^\| (Package|evil|gone|urllib3|pinned) /.test(l))
  assert.equal(table.length, 5)
  for (const row of table) assert.equal(row.split(/(?<!\\)\|/).length, 6, row)

  const none = contentsMarkdown({
    zipSize: 1,
    unzippedSize: 2,
    packages: 3,
    notCompared: 'compare-with: none'
  })
  assert.match(none.join('\n'), /3 packages\. Not compared: compare-with: none\./)
})

test('pull-request comment: the hidden marker names the layer; the event file gives the number; other events give none', () => {
  const body = commentBody({
    layerName: 'common-dev',
    target: 'python3.12 (Amazon Linux 2023, glibc 2.34, x86_64)',
    sha: 'abcdef1234567890',
    toolVersion: '1.0.0',
    view: { zipSize: 10, unzippedSize: 20, packages: 0, notCompared: 'compare-with: none' }
  })
  assert.ok(
    body.startsWith(`${commentMarker('common-dev')}\n### Lambda layer \`common-dev\` · python3.12`)
  )
  assert.match(body, /commit abcdef1/)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'event-'))
  const event = path.join(dir, 'event.json')
  writeFileSync(
    event,
    JSON.stringify({ action: 'synchronize', number: 42, pull_request: { number: 42 } })
  )
  const env = { GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'acme/layers' }
  assert.deepEqual(pullRequestOf({ ...env, GITHUB_EVENT_NAME: 'pull_request' }), {
    owner: 'acme',
    repo: 'layers',
    number: 42
  })
  assert.equal(pullRequestOf({ ...env, GITHUB_EVENT_NAME: 'pull_request_target' })?.number, 42)
  assert.equal(pullRequestOf({ ...env, GITHUB_EVENT_NAME: 'push' }), undefined)
  assert.equal(
    pullRequestOf({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path.join(dir, 'none') }),
    undefined
  )
})

test('ranges and URLs: a pre-signed query never reaches a message; Content-Range parsed; keys beside the zip', () => {
  assert.equal(
    displayUrl(
      'https://awslambda-eu-west-1-layers.s3.eu-west-1.amazonaws.com/snapshots/123/common-dev-abc?versionId=x&X-Amz-Security-Token=SECRET&X-Amz-Signature=SIG'
    ),
    'https://awslambda-eu-west-1-layers.s3.eu-west-1.amazonaws.com/snapshots/123/common-dev-abc'
  )
  assert.equal(rangeHeader({ suffix: 100 }), 'bytes=-100')
  assert.equal(rangeHeader({ start: 5, end: 9 }), 'bytes=5-9')
  assert.deepEqual(parseContentRange('bytes 100-199/1000'), { start: 100, total: 1000 })
  assert.equal(parseContentRange('bytes */1000'), undefined)
  assert.equal(parseContentRange(undefined), undefined)
  assert.equal(
    sbomKeyOf('layers/common-dev/20261122-104512/common-dev.zip'),
    'layers/common-dev/20261122-104512/common-dev.cdx.json'
  )
  assert.equal(layerKeyPrefix('/layers/', 'common-dev'), 'layers/common-dev/')
  assert.equal(layerKeyPrefix('', 'common-dev'), 'common-dev/')
})
