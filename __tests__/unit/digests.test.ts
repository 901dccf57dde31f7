// digests.ts: many files hashed here and in the hashing worker beside this thread, and a file's
// SHA-256 taken as it is written. Every answer is checked against node:crypto over the file's bytes.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, openSync, promises as fs, writeSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { digestOfWrites, hashFile, hashFiles } from '../../src/digests'
import { ZipWriter } from '../../src/zip/writer'
import { STORED } from '../../src/zip/records'
import { ROOT } from '../helpers/action'

let dir: string
let files: string[]
const digest = async (file: string, algorithm = 'sha256') =>
  createHash(algorithm)
    .update(await fs.readFile(file))
    .digest('hex')

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-digests-'))
  // sizes on both sides of the 1 MiB read, an empty file, and more files than two threads take at once
  const sizes = [0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3_500_000, 17, 250_000, 9]
  files = await Promise.all(
    sizes.map(async (size, i) => {
      const file = path.join(dir, `f${i}.bin`)
      await fs.writeFile(file, randomBytes(size))
      return file
    })
  )
})

after(() => fs.rm(dir, { recursive: true, force: true }))

for (const worker of [true, false]) {
  const how = worker ? 'here and in the worker' : 'here only'
  test(`hashFiles (${how}): each file's digests, in the order given`, async () => {
    const got = await hashFiles(files, ['sha384'], { worker })
    assert.equal(got.length, files.length)
    for (const [i, file] of files.entries()) {
      assert.equal(got[i].get('sha256'), await digest(file), path.basename(file))
      assert.equal(got[i].get('sha384'), await digest(file, 'sha384'), path.basename(file))
    }
  })

  test(`hashFiles (${how}): a file that cannot be read rejects, naming it`, async () => {
    const missing = path.join(dir, 'gone.whl')
    await assert.rejects(
      hashFiles([...files, missing], [], { worker }),
      (e: NodeJS.ErrnoException) => {
        assert.equal(e.code, 'ENOENT')
        assert.match(e.message, /gone\.whl/)
        return true
      }
    )
  })

  test(`hashFiles (${how}): a directory, a FIFO or a link to a device in a file's place rejects at once`, async () => {
    // a restored cache entry can bring either: one would block the read for ever, the other never end it
    const fifo = path.join(dir, `fifo-${worker}.whl`)
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0)
    const device = path.join(dir, `zero-${worker}.whl`)
    await fs.symlink('/dev/zero', device)
    const folder = path.join(dir, `folder-${worker}.whl`)
    await fs.mkdir(folder)
    for (const odd of [fifo, device, folder]) {
      await assert.rejects(hashFiles([...files, odd], [], { worker }), /is not a regular file/)
      await assert.rejects(hashFile(odd), /is not a regular file/)
    }
  })

  test(`hashFiles (${how}): a file changed after it was hashed is read again`, async () => {
    const file = path.join(dir, `changing-${worker}.bin`)
    await fs.writeFile(file, 'before')
    const [first] = await hashFiles([file, files[3]], [], { worker })
    assert.equal(first.get('sha256'), await digest(file))
    await fs.writeFile(file, 'after!')
    const [second] = await hashFiles([file, files[3]], [], { worker })
    assert.equal(second.get('sha256'), await digest(file))
    assert.notEqual(second.get('sha256'), first.get('sha256'))
    // hashFile finds what hashFiles remembered, for the bytes as they are now
    assert.equal((await hashFile(file)).get('sha256'), second.get('sha256'))
  })

  test(`digestOfWrites (${how}): the SHA-256 of the file written front to back`, async () => {
    const file = path.join(dir, `written-${worker}.bin`)
    const fd = openSync(file, 'w')
    const d = digestOfWrites(file, { worker })
    let at = 0
    // many small ranges and a few large ones (the worker is told of them some 8 MiB at a time)
    for (const size of [5, 1 << 20, 3, 9 * (1 << 20), 0, 77_777, 2 * (1 << 20)]) {
      const bytes = randomBytes(size)
      writeSync(fd, bytes, 0, size, at)
      d.written(bytes)
      at += size
    }
    closeSync(fd)
    assert.equal((await d.digest()).toString('hex'), await digest(file))
  })
}

test('digestOfWrites: when the worker cannot read what it is told, the finished file is hashed here', async () => {
  // the worker is told of bytes the file does not hold (it ends first): its answer is an error,
  // and the digest is then taken over the complete file on this thread
  const file = path.join(dir, 'short.bin')
  await fs.writeFile(file, randomBytes(1000))
  const d = digestOfWrites(file, { worker: true })
  d.written(Buffer.alloc(20 * (1 << 20)))
  assert.equal((await d.digest()).toString('hex'), await digest(file))
})

test('ZipWriter: the same zip and SHA-256 whether the worker hashes it or this thread does', async () => {
  const zips = await Promise.all(
    [true, false].map(async worker => {
      const file = path.join(dir, `zip-${worker}.zip`)
      const out = new ZipWriter(file, { worker })
      for (const [i, size] of [0, 3_000_000, 5].entries()) {
        const data = Buffer.alloc(size, i + 1)
        out.begin({
          nameBytes: Buffer.from(`python/f${i}`),
          directory: false,
          executable: false,
          method: STORED,
          crc: (await import('node:zlib')).crc32(data),
          compressedSize: size,
          size
        })
        out.data(data)
      }
      const written = await out.finish()
      return { written, bytes: await fs.readFile(file) }
    })
  )
  assert.deepEqual(zips[0].bytes, zips[1].bytes)
  const expected = createHash('sha256').update(zips[0].bytes).digest('hex')
  for (const z of zips) assert.equal(z.written.sha256.toString('hex'), expected)
})

test('the hashing worker does not keep a process alive once nothing waits on it', async () => {
  // a process that hashed files and wrote a file through the worker ends by itself, with its answers
  const script = path.join(dir, 'alive.mts')
  await fs.writeFile(
    script,
    `import { writeFileSync } from 'node:fs'
    import { digestOfWrites, hashFiles, warmDigests } from ${JSON.stringify(path.join(ROOT, 'src/digests.ts'))}
    warmDigests()
    const [a] = await hashFiles(${JSON.stringify(files.slice(0, 4))})
    const bytes = Buffer.from('written by this process')
    const file = ${JSON.stringify(path.join(dir, 'alive.bin'))}
    writeFileSync(file, bytes)
    const d = digestOfWrites(file)
    d.written(bytes)
    console.log(a.get('sha256'), (await d.digest()).toString('hex'))
    `
  )
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
    encoding: 'utf8',
    timeout: 60_000
  })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.signal, null, 'the process had to be killed: the worker kept it alive')
  const [a, written] = r.stdout.trim().split(' ')
  assert.equal(a, await digest(files[0]))
  assert.equal(written, createHash('sha256').update('written by this process').digest('hex'))
})

test('a worker started and never asked (a run that fails before hashing) does not keep the process alive', async () => {
  const script = path.join(dir, 'idle.mts')
  await fs.writeFile(
    script,
    `import { warmDigests } from ${JSON.stringify(path.join(ROOT, 'src/digests.ts'))}
    warmDigests()
    process.exitCode = 1
    `
  )
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
    encoding: 'utf8',
    timeout: 30_000
  })
  assert.equal(r.signal, null, 'the process had to be killed: the idle worker kept it alive')
  assert.equal(r.status, 1, r.stderr)
})
