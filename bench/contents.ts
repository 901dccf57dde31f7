// What the contents stage adds to a run, on the 18-package set (36 wheels, 177 MB unzipped): the
// zip step (wheels → entries → the layer zip, the build's cheapest phase after an exact cache hit)
// against, measured in the same process and alternating with it, each part of the contents stage:
// reading the zip's dist-info, the SBOM (models, serialization, file), the diff against another
// version read through its pre-signed location (a loopback stand-in serving a second build of the
// layer: range requests, nothing else of the file). The wheels' SHA-256, which the SBOM takes from
// the fetch stage (it computed them while checking hashes), are computed once beforehand, untimed.
//
//   node --import tsx bench/contents.ts [--runs 5] [--wheels <dir of .whl>]
//
// Without --wheels, pip downloads the set from the machine's wheel mirror (/opt/pypi/simple) first.
import { closeSync, existsSync, openSync, promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { mergeWheels } from '../src/assemble/layer'
import { slimEntries } from '../src/assemble/slim'
import { wheelContent } from '../src/assemble/wheel'
import { zipLayer, type ZipResult } from '../src/assemble/zip'
import { readZipPackages, type LayerPackage } from '../src/contents/packages'
import { layerSbom } from '../src/contents/sbom'
import { readRemoteZipPackages } from '../src/contents/remote-zip'
import { fetchRange } from '../src/contents/http-range'
import { diffPackages } from '../src/contents/diff'
import { startPresignedStandIn } from '../__tests__/helpers/presigned-standin'
import { captureLog } from '../__tests__/helpers/log'
import { median, mb } from './stats'
import { REQUIREMENTS } from './requirements'
import { downloadWheels, MIRROR } from './wheels'
import { sha256File } from '../src/digests'
import { findRuntime, type Runtime } from '../src/runtimes'

async function zipStep(wheels: string[], out: string): Promise<ZipResult> {
  const contents = await Promise.all(wheels.map(f => wheelContent(f)))
  const { kept } = slimEntries(mergeWheels(contents), { slim: true, exclude: [] })
  return zipLayer(kept, out)
}

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now()
  const value = await f()
  return [(performance.now() - start) / 1000, value]
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, wheels: { type: 'string' } }
  })
  const runs = Number(values.runs)
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-bench-contents-'))
  const standIn = await startPresignedStandIn()
  try {
    let dir = values.wheels
    let download: number | undefined
    if (!dir) {
      if (!existsSync(new URL(MIRROR).pathname)) throw new Error(`needs the wheel mirror ${MIRROR}`)
      const into = path.join(work, 'wheels')
      ;[download] = await time(async () =>
        downloadWheels(into, REQUIREMENTS, findRuntime('3.11') as Runtime)
      )
      dir = into
    }
    const wheels = (await fs.readdir(dir))
      .filter(f => f.endsWith('.whl'))
      .sort()
      .map(f => path.join(dir as string, f))
    // the version to compare with: the same set without its last wheel, served as AWS serves a layer
    const older = path.join(work, 'older.zip')
    const log = captureLog()
    await zipStep(wheels.slice(0, -1), older).finally(() => log.restore())
    standIn.put('older', await fs.readFile(older))

    // what the fetch stage hands the contents stage: each wheel's SHA-256, by project
    const hashes = new Map<string, { sha256: string; wheel: string }>()
    for (const w of wheels)
      hashes.set(path.basename(w).split('-')[0].toLowerCase().replace(/_/g, '-'), {
        sha256: await sha256File(w),
        wheel: path.basename(w)
      })

    const t: Record<string, number[]> = { zip: [], read: [], sbom: [], diff: [] }
    let fetched = 0
    let requests = 0
    let zip: ZipResult | undefined
    let packages: readonly LayerPackage[] = []
    for (let i = 0; i < runs; i++) {
      const quiet = captureLog()
      try {
        const out = path.join(work, `layer-${i}.zip`)
        let z: ZipResult
        ;[t.zip[i], z] = await time(() => zipStep(wheels, out))
        zip = z
        ;[t.read[i], packages] = await time(async () => {
          const fd = openSync(z.path, 'r')
          try {
            return (await readZipPackages(fd, 'layer')).packages
          } finally {
            closeSync(fd)
          }
        })
        ;[t.sbom[i]] = await time(async () => {
          const json = layerSbom(
            {
              layerName: 'bench',
              version: '1.0.0',
              runtime: 'python3.11',
              architecture: 'x86_64',
              codeSha256: z.sha256,
              codeSize: z.zipSize,
              unzippedSize: z.unzippedSize,
              toolVersion: '1.0.0'
            },
            packages,
            hashes,
            { dependencies: new Map(), roots: new Set() }
          )
          await fs.writeFile(path.join(work, 'bench.cdx.json'), json)
        })
        ;[t.diff[i]] = await time(async () => {
          const remote = await readRemoteZipPackages(
            range => fetchRange(standIn.urlFor('older'), range),
            'older',
            work
          )
          fetched = remote.read.bytes
          requests = remote.read.requests
          const named = (list: readonly LayerPackage[]) =>
            list.map(p => ({ name: p.key, version: p.metadata.version }))
          return diffPackages('arn', named(remote.packages), named(packages))
        })
        await fs.rm(out, { force: true })
      } finally {
        quiet.restore()
      }
      console.log(
        `run ${i + 1}: zip step ${t.zip[i].toFixed(2)} s | read dist-info ${t.read[i].toFixed(3)} s, SBOM ${t.sbom[i].toFixed(3)} s, diff ${t.diff[i].toFixed(3)} s`
      )
    }
    const zipS = median(t.zip)
    const contents = median(t.read) + median(t.sbom) + median(t.diff)
    const olderSize = (await fs.stat(older)).size
    console.log(
      `\n${wheels.length} wheels, ${packages.length} distributions; zip ${mb(zip?.zipSize ?? 0)}, unzipped ${mb(zip?.unzippedSize ?? 0)}`
    )
    console.log(`zip step (baseline):            median ${zipS.toFixed(2)} s`)
    console.log(`read the zip's dist-info:       median ${median(t.read).toFixed(3)} s`)
    console.log(`SBOM (build, serialize, write): median ${median(t.sbom).toFixed(3)} s`)
    console.log(
      `diff (remote read over HTTP):   median ${median(t.diff).toFixed(3)} s, ${requests} range requests, ${mb(fetched)} of ${mb(olderSize)} (${((100 * fetched) / olderSize).toFixed(1)}%)`
    )
    console.log(`contents stage / zip step:      ${(contents / zipS).toFixed(3)}`)
    if (download !== undefined)
      console.log(
        `pip download of the set from the local mirror, once: ${download.toFixed(2)} s; contents stage / (that + zip step): ${(contents / (download + zipS)).toFixed(3)}`
      )
    console.log(
      `load average while measuring: ${os
        .loadavg()
        .map(l => l.toFixed(1))
        .join(', ')} on ${os.cpus().length} cores`
    )
  } finally {
    await standIn.close()
    await fs.rm(work, { recursive: true, force: true })
  }
}

await main()
