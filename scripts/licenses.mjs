#!/usr/bin/env node
// dist/licenses.txt from the per-chunk files ncc writes with `--license '[name].licenses.txt'`.
// The bundle loads the AWS SDK, the Actions cache and the GitHub client as chunks, on the paths that
// use them; with one file name, ncc's license plugin would keep only the last chunk's list. This joins
// them, each package once, in the plugin's own format (name, licence id, text; sorted by name), and
// removes the per-chunk files.
//
//   node scripts/licenses.mjs [dist]
import { readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import path from 'node:path'

const dist = path.resolve(process.argv[2] ?? 'dist')

/** Every package name under node_modules (scoped and nested ones too): where an entry may start. */
function packageNames(dir, names = new Set()) {
  if (!existsSync(dir)) return names
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    if (entry.name.startsWith('@')) {
      for (const sub of readdirSync(path.join(dir, entry.name), { withFileTypes: true }))
        if (sub.isDirectory()) {
          names.add(`${entry.name}/${sub.name}`)
          packageNames(path.join(dir, entry.name, sub.name, 'node_modules'), names)
        }
    } else {
      names.add(entry.name)
      packageNames(path.join(dir, entry.name, 'node_modules'), names)
    }
  }
  return names
}

const names = packageNames(path.resolve('node_modules'))
const files = readdirSync(dist).filter(f => f.endsWith('.licenses.txt'))
if (files.length === 0)
  throw new Error(`no *.licenses.txt in ${dist}: run ncc with --license '[name].licenses.txt'`)

/** name → the distinct entries for it (a text the splitting got wrong is kept whole, never lost) */
const entries = new Map()
for (const file of files) {
  const lines = readFileSync(path.join(dist, file), 'utf8').split('\n')
  let current = []
  const flush = () => {
    // the blank line that separates entries; a text's own trailing blank lines stay
    if (current[current.length - 1] === '') current.pop()
    if (current.length === 0) return
    const text = current.join('\n')
    if (!entries.has(current[0])) entries.set(current[0], new Set())
    entries.get(current[0]).add(text)
    current = []
  }
  lines.forEach((line, i) => {
    if (names.has(line) && (i === 0 || lines[i - 1] === '')) flush()
    current.push(line)
  })
  flush()
}

const joined = [...entries.keys()]
  .sort((a, b) => (a < b ? -1 : 1))
  .flatMap(name => [...entries.get(name)].sort())
  .join('\n\n')
writeFileSync(path.join(dist, 'licenses.txt'), `${joined}\n`)
for (const file of files) rmSync(path.join(dist, file))
console.log(`dist/licenses.txt: ${entries.size} packages from ${files.length} chunk(s)`)
