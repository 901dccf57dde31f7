import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  assertTagAvailable,
  classifyCommit,
  decideVersion,
  isBump,
  isPlainVersion,
  type Bump
} from '../../src/release/bump'
import { formatChangelog, formatTagMessage } from '../../src/release/changelog'
import { highestVersionTag, versionOfTag, type History } from '../../src/release/history'
import { InputError, LayerActionError } from '../../src/errors'

const HEAD = 'f'.repeat(40)

interface Case {
  name: string
  /** newest first, as readHistory returns them */
  commits: string[]
  /** tag names reachable from HEAD (not at HEAD); default ['v1.2.3']; [] = no release yet */
  tags?: string[]
  /** tag names at HEAD */
  headTags?: string[]
  prefix?: string
  defaultBump?: Bump
  initialVersion?: string
  expect: {
    version: string
    bump: Bump
    tag?: string
    previous?: string
    newTag?: boolean
    breaking?: number
    features?: number
    fixes?: number
    other?: number
  }
}

const cases: Case[] = [
  {
    name: 'fix: → patch',
    commits: ['fix: handle empty requirements'],
    expect: { version: '1.2.4', bump: 'patch', fixes: 1 }
  },
  {
    name: 'feat: → minor',
    commits: ['feat: arm64 layers'],
    expect: { version: '1.3.0', bump: 'minor', features: 1 }
  },
  {
    name: 'feat(api)!: → major',
    commits: ['feat(api)!: drop the v1 endpoints'],
    expect: { version: '2.0.0', bump: 'major', breaking: 1, features: 0 }
  },
  {
    name: 'refactor!: (no scope) → major',
    commits: ['refactor!: rename every module'],
    expect: { version: '2.0.0', bump: 'major', breaking: 1 }
  },
  {
    name: 'BREAKING-CHANGE: footer on a chore → major',
    commits: ['chore: bump runtime\n\nBREAKING-CHANGE: python3.9 is no longer supported'],
    expect: { version: '2.0.0', bump: 'major', breaking: 1, other: 0 }
  },
  {
    name: 'BREAKING CHANGE: footer after Reviewed-by: → major',
    commits: [
      'fix: stricter inputs\n\nValidate every input.\n\nReviewed-by: Ada <ada@example.com>\nBREAKING CHANGE: region is required'
    ],
    expect: { version: '2.0.0', bump: 'major', breaking: 1, fixes: 0 }
  },
  {
    name: 'FEAT: upper-case type → minor',
    commits: ['FEAT: shout'],
    expect: { version: '1.3.0', bump: 'minor', features: 1 }
  },
  {
    name: 'Fix: capitalised type → patch',
    commits: ['Fix: typo'],
    expect: { version: '1.2.4', bump: 'patch', fixes: 1 }
  },
  {
    name: 'lower-case "breaking change" in body prose is not a footer',
    commits: [
      'feat: new cache\n\nThis is not a breaking change for users.\nbreaking change: none expected'
    ],
    expect: { version: '1.3.0', bump: 'minor', breaking: 0, features: 1 }
  },
  {
    name: 'indented or bulleted BREAKING CHANGE is not a footer',
    commits: ['fix: docs\n\n  BREAKING CHANGE: indented\n* BREAKING CHANGE: bulleted'],
    expect: { version: '1.2.4', bump: 'patch', breaking: 0, fixes: 1 }
  },
  {
    name: 'squash-merge body listing * feat: lines does not make the commit a feature',
    commits: [
      'Update the build (#12)\n\n* feat: add arm64\n\n* fix: wheel tags\n\n* feat(cache): share'
    ],
    defaultBump: 'none',
    expect: { version: '1.2.3', bump: 'none', newTag: false, features: 0, fixes: 0, other: 1 }
  },
  {
    name: 'squash-merge body carrying a BREAKING CHANGE: footer line is breaking',
    commits: [
      'feat: new inputs (#13)\n\n* feat: add regions\n\nBREAKING CHANGE: bucket must be in the region\n\n* fix: typo'
    ],
    expect: { version: '2.0.0', bump: 'major', breaking: 1 }
  },
  {
    name: 'feat add x without a colon → default bump',
    commits: ['feat add x'],
    expect: { version: '1.2.4', bump: 'patch', features: 0, other: 1 }
  },
  {
    name: 'feat:x without the space → default bump',
    commits: ['feat:x'],
    expect: { version: '1.2.4', bump: 'patch', features: 0 }
  },
  {
    name: 'fixup! feat: … is not typed',
    commits: ['fixup! feat: x'],
    defaultBump: 'none',
    expect: { version: '1.2.3', bump: 'none' }
  },
  {
    name: 'BREAKING CHANGE: as the header is not a typed commit',
    commits: ['BREAKING CHANGE: everything'],
    defaultBump: 'none',
    expect: { version: '1.2.3', bump: 'none', breaking: 0 }
  },
  {
    name: 'mixed fix, feat, chore → the highest (minor)',
    commits: ['chore: deps', 'feat: new output', 'fix: crash', 'docs: readme'],
    expect: { version: '1.3.0', bump: 'minor', features: 1, fixes: 1, other: 2 }
  },
  {
    name: 'mixed with a breaking chore → major',
    commits: ['fix: crash', 'chore!: drop node 20', 'feat: x'],
    expect: { version: '2.0.0', bump: 'major', breaking: 1, features: 1, fixes: 1 }
  },
  {
    name: 'defaultBump none, only chores → same version, no new tag',
    commits: ['chore: ci', 'docs: x'],
    defaultBump: 'none',
    expect: { version: '1.2.3', bump: 'none', newTag: false, tag: 'v1.2.3' }
  },
  {
    name: 'defaultBump minor, only docs → minor',
    commits: ['docs: x'],
    defaultBump: 'minor',
    expect: { version: '1.3.0', bump: 'minor' }
  },
  {
    name: 'defaultBump major, only chores → major',
    commits: ['chore: x'],
    defaultBump: 'major',
    expect: { version: '2.0.0', bump: 'major' }
  },
  {
    name: 'defaultBump major does not override a fix',
    commits: ['chore: x', 'fix: y'],
    defaultBump: 'major',
    expect: { version: '1.2.4', bump: 'patch' }
  },
  {
    name: 'empty commit list after a tag → default bump',
    commits: [],
    expect: { version: '1.2.4', bump: 'patch' }
  },
  {
    name: 'no tag at all → initial-version, bump none, new tag',
    commits: ['feat: first', 'chore: init'],
    tags: [],
    expect: {
      version: '1.0.0',
      bump: 'none',
      previous: '',
      newTag: true,
      tag: 'v1.0.0',
      features: 1
    }
  },
  {
    name: 'no tag, empty history, custom initial-version',
    commits: [],
    tags: [],
    initialVersion: '0.1.0',
    expect: { version: '0.1.0', bump: 'none', previous: '', newTag: true }
  },
  {
    name: 'from 0.x: 0.3.1 + feat → 0.4.0',
    commits: ['feat: x'],
    tags: ['v0.3.1'],
    expect: { version: '0.4.0', bump: 'minor', previous: '0.3.1' }
  },
  {
    name: 'from 0.x: 0.3.1 + breaking → 1.0.0',
    commits: ['feat!: x'],
    tags: ['v0.3.1'],
    expect: { version: '1.0.0', bump: 'major' }
  },
  {
    name: 'from 0.x: 0.3.1 + fix → 0.3.2',
    commits: ['fix: x'],
    tags: ['v0.3.1'],
    expect: { version: '0.3.2', bump: 'patch' }
  },
  {
    name: 'HEAD already tagged → that version, bump none, no new tag, previous is the release before',
    commits: ['feat: x'],
    tags: ['v1.2.3'],
    headTags: ['v1.3.0', 'other-9.0.0'],
    expect: {
      version: '1.3.0',
      bump: 'none',
      newTag: false,
      previous: '1.2.3',
      tag: 'v1.3.0',
      features: 1
    }
  },
  {
    name: 'HEAD tagged with a pre-release only → bumped as usual',
    commits: ['feat: x'],
    headTags: ['v1.3.0-rc.1'],
    expect: { version: '1.3.0', bump: 'minor', newTag: true }
  },
  {
    name: 'HEAD already tagged, no release before it',
    commits: ['chore: init'],
    tags: [],
    headTags: ['v1.0.0'],
    expect: { version: '1.0.0', bump: 'none', newTag: false, previous: '' }
  },
  {
    name: 'pre-release tag higher than the release is ignored',
    commits: ['fix: x'],
    tags: ['v1.2.3', 'v2.0.0-rc.1', 'v1.2.4+build.5'],
    expect: { version: '1.2.4', bump: 'patch', previous: '1.2.3' }
  },
  {
    name: 'tags with another prefix are ignored',
    commits: ['fix: x'],
    tags: ['v1.2.3', 'ms/9.0.0', 'release-5.0.0', 'vv3.0.0', 'v04.0.0'],
    expect: { version: '1.2.4', bump: 'patch', previous: '1.2.3' }
  },
  {
    name: 'highest by semver, not by text: v1.10.0 > v1.9.0',
    commits: ['fix: x'],
    tags: ['v1.9.0', 'v1.10.0', 'v1.2.0'],
    expect: { version: '1.10.1', bump: 'patch', previous: '1.10.0' }
  },
  {
    name: 'custom prefix ms/',
    commits: ['feat(ms): x'],
    tags: ['ms/1.4.0', 'v9.9.9', 'ms/1.10.0'],
    prefix: 'ms/',
    expect: { version: '1.11.0', bump: 'minor', tag: 'ms/1.11.0', previous: '1.10.0' }
  },
  {
    name: 'prefix with regex metacharacters a.b+ is text',
    commits: ['fix: x'],
    tags: ['a.b+1.0.0', 'aXb+3.0.0', 'abbb3.1.0'],
    prefix: 'a.b+',
    expect: { version: '1.0.1', bump: 'patch', tag: 'a.b+1.0.1' }
  },
  {
    name: 'prefix [x] is text',
    commits: ['fix: x'],
    tags: ['[x]1.0.0', 'x1.5.0'],
    prefix: '[x]',
    expect: { version: '1.0.1', bump: 'patch', tag: '[x]1.0.1' }
  },
  {
    name: 'empty prefix: only bare versions',
    commits: ['feat: x'],
    tags: ['1.2.3', 'v2.0.0'],
    prefix: '',
    expect: { version: '1.3.0', bump: 'minor', tag: '1.3.0' }
  },
  {
    name: 'merge commit header is not typed (its branch commits count)',
    commits: ['Merge pull request #5 from org/feat-x\n\nfeat: x', 'feat: x'],
    expect: { version: '1.3.0', bump: 'minor', features: 1, other: 1 }
  },
  {
    name: 'merge commit alone → default bump',
    commits: ["Merge branch 'main' into dev"],
    defaultBump: 'none',
    expect: { version: '1.2.3', bump: 'none' }
  },
  {
    name: 'revert commit → default bump',
    commits: ['Revert "feat: x"\n\nThis reverts commit 0123456789abcdef.'],
    expect: { version: '1.2.4', bump: 'patch', features: 0, other: 1 }
  },
  {
    name: 'revert: type → default bump',
    commits: ['revert: feat: x\n\nRefs: 0123456'],
    defaultBump: 'none',
    expect: { version: '1.2.3', bump: 'none' }
  },
  {
    name: 'multi-line body with references stays a fix',
    commits: [
      'fix(zip): stable order\n\nFirst paragraph\nspans lines.\n\nSecond paragraph.\n\nCloses #42\nRefs: #40'
    ],
    expect: { version: '1.2.4', bump: 'patch', fixes: 1 }
  },
  {
    name: 'scope with dash and slash',
    commits: ['feat(build/wheel-cache): share wheels'],
    expect: { version: '1.3.0', bump: 'minor', features: 1 }
  },
  {
    name: 'trailing whitespace in the header',
    commits: ['fix:   spaces   \n\n'],
    expect: { version: '1.2.4', bump: 'patch', fixes: 1 }
  },
  {
    name: 'Windows CRLF message with a BREAKING CHANGE footer',
    commits: ['feat: crlf\r\n\r\nBody line.\r\n\r\nBREAKING CHANGE: line endings\r\n'],
    expect: { version: '2.0.0', bump: 'major', breaking: 1 }
  },
  {
    name: 'footer after a markdown --- rule still counts',
    commits: ['docs: notes\n\nIntro\n\n---\n\nBREAKING CHANGE: after the rule'],
    expect: { version: '2.0.0', bump: 'major', breaking: 1 }
  }
]

function historyOf(c: Case): History {
  const prefix = c.prefix ?? 'v'
  const tags = (c.tags ?? ['v1.2.3']).map((tag, i) => ({ tag, sha: String(i).padStart(40, 'a') }))
  const headTags = (c.headTags ?? []).map(tag => ({ tag, sha: HEAD }))
  const all: Record<string, string> = {}
  for (const t of [...tags, ...headTags]) all[t.tag] = t.sha
  return {
    head: HEAD,
    previous: highestVersionTag(tags, prefix),
    headVersion: highestVersionTag(headTags, prefix)?.version,
    commits: c.commits.map((message, i) => ({ sha: String(i).padStart(40, 'c'), message })),
    deepened: false,
    tags: all
  }
}

describe('decideVersion (table)', () => {
  it('has at least 25 cases', () => assert.ok(cases.length >= 25, `${cases.length} cases`))
  for (const c of cases) {
    it(c.name, () => {
      const prefix = c.prefix ?? 'v'
      const d = decideVersion({
        history: historyOf(c),
        tagPrefix: prefix,
        initialVersion: c.initialVersion ?? '1.0.0',
        defaultBump: c.defaultBump ?? 'patch'
      })
      const e = c.expect
      assert.equal(d.version, e.version, 'version')
      assert.equal(d.bump, e.bump, 'bump')
      assert.equal(d.tag, e.tag ?? `${prefix}${e.version}`, 'tag')
      if (e.previous !== undefined) assert.equal(d.previousVersion, e.previous, 'previousVersion')
      assert.equal(d.newTag, e.newTag ?? !(e.bump === 'none' && e.previous !== ''), 'newTag')
      assert.equal(d.conflictSha, undefined, 'conflictSha')
      for (const key of ['breaking', 'features', 'fixes', 'other'] as const) {
        if (e[key] !== undefined) assert.equal(d.changes[key].length, e[key], key)
      }
    })
  }
})

describe('classifyCommit', () => {
  it('reads type, scope and subject; lower-cases the type', () => {
    assert.deepEqual(classifyCommit('FEAT(Build/wheel-cache): Share  '), {
      type: 'feat',
      scope: 'Build/wheel-cache',
      subject: 'Share',
      breaking: false,
      bump: 'minor'
    })
  })
  it('keeps the footer text of a breaking change', () => {
    const c = classifyCommit('chore: x\n\nbody\n\nBREAKING-CHANGE: node 20 is gone\nand so is 18')
    assert.equal(c.breaking, true)
    assert.equal(c.bump, 'major')
    assert.equal(c.breakingNote, 'node 20 is gone\nand so is 18')
  })
  it('an untyped commit keeps its whole header as subject and asks for no bump', () => {
    assert.deepEqual(classifyCommit('Update README.md\n\nfeat: in body'), {
      type: '',
      subject: 'Update README.md',
      breaking: false
    })
  })
  it('an empty message is untyped', () => {
    assert.deepEqual(classifyCommit('  \n'), { type: '', subject: '', breaking: false })
  })
})

describe('release tags', () => {
  const table: [string, string, string | undefined][] = [
    ['v1.2.3', 'v', '1.2.3'],
    ['v1.2.3-rc.1', 'v', undefined],
    ['v1.2.3+build', 'v', undefined],
    ['vv1.2.3', 'v', undefined],
    ['v01.2.3', 'v', undefined],
    ['v1.2', 'v', undefined],
    ['1.2.3', 'v', undefined],
    ['ms/1.2.3', 'ms/', '1.2.3'],
    ['ms-1.2.3', 'ms/', undefined],
    ['release-v0.0.1', 'release-v', '0.0.1'],
    ['1.2.3', '', '1.2.3'],
    ['v1.2.3', '', undefined]
  ]
  for (const [tag, prefix, version] of table) {
    it(`versionOfTag(${JSON.stringify(tag)}, ${JSON.stringify(prefix)}) = ${version}`, () => {
      assert.equal(versionOfTag(tag, prefix), version)
    })
  }

  it('a new version whose tag exists on another commit is a conflict, refused before publishing', () => {
    const history: History = {
      head: HEAD,
      previous: { tag: 'v1.2.3', version: '1.2.3', sha: 'a'.repeat(40) },
      commits: [{ sha: 'c'.repeat(40), message: 'feat: x' }],
      deepened: false,
      tags: { 'v1.2.3': 'a'.repeat(40), 'v1.3.0': 'b'.repeat(40) }
    }
    const d = decideVersion({
      history,
      tagPrefix: 'v',
      initialVersion: '1.0.0',
      defaultBump: 'patch'
    })
    assert.equal(d.version, '1.3.0')
    assert.equal(d.conflictSha, 'b'.repeat(40))
    assert.throws(
      () => assertTagAvailable(d),
      (error: unknown) => {
        assert.ok(error instanceof LayerActionError)
        assert.match(error.message, /tag v1\.3\.0 already exists at commit bbbbbbbbbbbb/)
        return true
      }
    )
  })

  it('no conflict: assertTagAvailable passes', () => {
    const d = decideVersion({
      history: { head: HEAD, commits: [], deepened: false },
      tagPrefix: 'v',
      initialVersion: '1.0.0',
      defaultBump: 'patch'
    })
    assert.doesNotThrow(() => assertTagAvailable(d))
  })
})

describe('inputs', () => {
  const versions: [string, boolean][] = [
    ['1.0.0', true],
    ['0.1.0', true],
    ['10.20.30', true],
    ['v1.0.0', false],
    ['1.0', false],
    ['1.0.0-rc.1', false],
    ['1.0.0+build', false],
    ['01.0.0', false],
    [' 1.0.0', false],
    ['', false]
  ]
  for (const [value, ok] of versions) {
    it(`isPlainVersion(${JSON.stringify(value)}) = ${ok}`, () =>
      assert.equal(isPlainVersion(value), ok))
  }
  it('isBump accepts the four bumps only', () => {
    assert.deepEqual(['major', 'minor', 'patch', 'none', 'Major', 'pre'].map(isBump), [
      true,
      true,
      true,
      true,
      false,
      false
    ])
  })
  it('decideVersion refuses an initial-version that is not x.y.z, naming the input', () => {
    assert.throws(
      () =>
        decideVersion({
          history: { head: HEAD, commits: [], deepened: false },
          tagPrefix: 'v',
          initialVersion: 'v1',
          defaultBump: 'patch'
        }),
      (error: unknown) => error instanceof InputError && error.input === 'initial-version'
    )
  })
})

describe('changelog', () => {
  const history: History = {
    head: HEAD,
    previous: { tag: 'v1.2.3', version: '1.2.3', sha: 'a'.repeat(40) },
    commits: [
      { sha: '1'.repeat(40), message: 'chore: deps' },
      { sha: '2'.repeat(40), message: 'fix(zip): <stable> order' },
      { sha: '3'.repeat(40), message: 'feat: regions' },
      { sha: '4'.repeat(40), message: 'feat(api)!: drop v1\n\nBREAKING CHANGE: v1 inputs are gone' }
    ],
    deepened: false
  }
  const d = decideVersion({
    history,
    tagPrefix: 'v',
    initialVersion: '1.0.0',
    defaultBump: 'patch'
  })

  it('formatChangelog: breaking, features, fixes in that order, HTML escaped, other left out', () => {
    assert.equal(
      formatChangelog(d.changes),
      [
        '### Breaking changes',
        '- **api:** drop v1 — v1 inputs are gone (4444444)',
        '',
        '### Features',
        '- regions (3333333)',
        '',
        '### Fixes',
        '- **zip:** &lt;stable&gt; order (2222222)'
      ].join('\n')
    )
  })
  it('formatChangelog is empty when there is nothing to tell', () => {
    assert.equal(
      formatChangelog({
        breaking: [],
        features: [],
        fixes: [],
        other: [{ sha: HEAD, type: 'chore', subject: 'x' }]
      }),
      ''
    )
  })
  it('formatChangelog caps long sections', () => {
    const fixes = Array.from({ length: 60 }, (_, i) => ({
      sha: HEAD,
      type: 'fix',
      subject: `f${i}`
    }))
    const text = formatChangelog({ breaking: [], features: [], fixes, other: [] })
    assert.equal(text.split('\n').length, 1 + 50 + 1)
    assert.match(text, /… and 10 more$/)
  })
  it('formatTagMessage lists every commit by type', () => {
    assert.equal(
      formatTagMessage(d),
      [
        'Release v2.0.0 (since 1.2.3)',
        '',
        'Breaking changes:',
        '- feat(api)!: drop v1 (4444444)',
        '  BREAKING CHANGE: v1 inputs are gone',
        '',
        'Features:',
        '- feat: regions (3333333)',
        '',
        'Fixes:',
        '- fix(zip): <stable> order (2222222)',
        '',
        'Other changes:',
        '- chore: deps (1111111)',
        ''
      ].join('\n')
    )
  })
})
