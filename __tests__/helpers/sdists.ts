/**
 * Real source distributions for tests: a project tree (pyproject.toml with [build-system] and
 * [project], the package, for a C extension a setup.py and its .c file) packed the way
 * `python -m build --sdist` packs it: `<name>-<version>/` at the root with PKG-INFO (core
 * metadata, https://packaging.python.org/en/latest/specifications/source-distribution-format/).
 *
 * pip builds them with build isolation, installing the backend from the index it is given; the
 * tests neutralise this machine's pip config (hermeticPipEnv), so the test index must carry the
 * backends' wheels: backendWheels() copies them from this machine's mirror.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, promises as fs } from 'node:fs'
import path from 'node:path'

export interface SourceSpec {
  name: string
  version: string
  backend: 'setuptools' | 'hatchling'
  dependencies?: string[]
  /** a C extension module `<pkg>._speed` (setuptools only): the build compiles it */
  cExtension?: boolean
  /** default `>=3.8` */
  requiresPython?: string
}

/** The import name of a project: `makoto-common` → `makoto_common`. */
export function importName(name: string): string {
  return name.toLowerCase().replace(/[-.]+/g, '_')
}

const BUILD_SYSTEM = {
  setuptools:
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n',
  hatchling: '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
}

/** Writes a project tree at `dir` (the folder a local requirement names). */
export async function makeSourceTree(dir: string, spec: SourceSpec): Promise<string> {
  const pkg = importName(spec.name)
  await fs.mkdir(path.join(dir, pkg), { recursive: true })
  const deps = (spec.dependencies ?? []).map(d => JSON.stringify(d)).join(', ')
  await fs.writeFile(
    path.join(dir, 'pyproject.toml'),
    `${BUILD_SYSTEM[spec.backend]}\n[project]\nname = "${spec.name}"\nversion = "${spec.version}"\n` +
      `requires-python = "${spec.requiresPython ?? '>=3.8'}"\ndependencies = [${deps}]\n` +
      (spec.backend === 'hatchling'
        ? `\n[tool.hatch.build.targets.wheel]\npackages = ["${pkg}"]\n`
        : `\n[tool.setuptools]\npackages = ["${pkg}"]\n`)
  )
  await fs.writeFile(
    path.join(dir, pkg, '__init__.py'),
    `from importlib.metadata import version\n\n__version__ = version("${spec.name}")\n`
  )
  if (spec.cExtension) {
    await fs.writeFile(
      path.join(dir, 'setup.py'),
      `from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("${pkg}._speed", ["${pkg}/_speed.c"])])\n`
    )
    await fs.writeFile(
      path.join(dir, pkg, '_speed.c'),
      '#include <Python.h>\n\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, NULL};\n\n' +
        'PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&m); }\n'
    )
  }
  return dir
}

/** Packs a tree into `<outDir>/<name>-<version>.tar.gz` with PKG-INFO, as an sdist. */
export async function makeSourceDist(outDir: string, spec: SourceSpec): Promise<string> {
  const base = `${importName(spec.name)}-${spec.version}`
  const staging = path.join(outDir, '.staging', base)
  await makeSourceTree(staging, spec)
  await fs.writeFile(
    path.join(staging, 'PKG-INFO'),
    [
      'Metadata-Version: 2.1',
      `Name: ${spec.name}`,
      `Version: ${spec.version}`,
      `Requires-Python: ${spec.requiresPython ?? '>=3.8'}`,
      ...(spec.dependencies ?? []).map(d => `Requires-Dist: ${d}`),
      ''
    ].join('\n')
  )
  const file = path.join(outDir, `${base}.tar.gz`)
  execFileSync('tar', ['-czf', file, '-C', path.dirname(staging), base])
  await fs.rm(path.join(outDir, '.staging'), { recursive: true, force: true })
  return file
}

export const MIRROR = '/opt/pypi/simple'

/** The projects pip installs to build these sdists: the backends and what they require. */
export const BACKEND_PROJECTS = [
  'setuptools',
  'wheel',
  'hatchling',
  // hatchling's own requirements (its METADATA); tomli only below 3.11, absent here
  'packaging',
  'pathspec',
  'pluggy',
  'tomlkit',
  'trove-classifiers'
]

/**
 * The first pure wheel each backend project's PEP 503 page on this machine's mirror lists, or
 * the projects missing: a test then skips, saying so.
 */
export async function backendWheels(
  mirror = MIRROR
): Promise<{ files: string[] } | { missing: string[] }> {
  const files: string[] = []
  const missing: string[] = []
  for (const project of BACKEND_PROJECTS) {
    const page = path.join(mirror, project, 'index.html')
    let html: string
    try {
      html = await fs.readFile(page, 'utf8')
    } catch {
      missing.push(project)
      continue
    }
    const hrefs = [...html.matchAll(/href="([^"#]+\.whl)(?:#[^"]*)?"/g)].map(m =>
      path.resolve(path.dirname(page), decodeURIComponent(m[1]))
    )
    const wheel = hrefs.filter(f => /-py3-none-any\.whl$|-py2\.py3-none-any\.whl$/.test(f))[0]
    if (wheel && existsSync(wheel)) files.push(wheel)
    else missing.push(project)
  }
  return missing.length > 0 ? { missing } : { files }
}
