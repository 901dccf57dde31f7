#!/usr/bin/env node
// Runs the test suite: unit, integration and end-to-end tiers, with Node's own test runner.
// `node scripts/test.mjs [file…]` runs only the files named. Each integration or end-to-end file
// starts the servers it needs (moto_server, a local package index) and stops them itself.
import { spawnSync } from 'node:child_process'
import { readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const tiers = ['__tests__/unit', '__tests__/integration', '__tests__/e2e']
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : tiers.flatMap(dir =>
        existsSync(dir)
          ? readdirSync(dir)
              .filter(f => f.endsWith('.test.ts'))
              .sort()
              .map(f => join(dir, f))
          : []
      )

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' }
)
process.exit(result.status ?? 1)
