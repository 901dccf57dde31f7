/**
 * The layer's CycloneDX 1.6 SBOM, made with the CycloneDX project's own library: the layer as the
 * subject, one component per distribution in the zip (purl, the wheel's SHA-256, the declared
 * license), the dependency graph as resolved for the target. No clock: the same layer gives the
 * same bytes, its serial number a UUID v5 of what the document says.
 */
import { createHash } from 'node:crypto'
import { ComponentType, HashAlgorithm } from '@cyclonedx/cyclonedx-library/Enums'
import {
  Bom,
  Component,
  HashDictionary,
  Metadata,
  Property,
  PropertyRepository,
  Tools
} from '@cyclonedx/cyclonedx-library/Models'
import { JSON as JsonFormat, JsonSerializer } from '@cyclonedx/cyclonedx-library/Serialize'
import { Spec1dot6 } from '@cyclonedx/cyclonedx-library/Spec'
import { PackageURL } from 'packageurl-js'
import { ACTION_NAME } from '../constants'
import { declaredLicenses } from './licenses'
import type { LayerPackage } from './packages'

/** What the SBOM says about the layer itself. */
export interface SbomSubject {
  /** the published layer name */
  readonly layerName: string
  /** the semantic version of this release */
  readonly version: string
  /** `python3.12` */
  readonly runtime: string
  readonly architecture: string
  /** base64, as Lambda reports it */
  readonly codeSha256: string
  readonly codeSize: number
  readonly unzippedSize: number
  readonly toolVersion: string
}

/** The wheel a distribution came from, and its place in the graph. */
export interface PackageOrigin {
  /** hex SHA-256 of the wheel file */
  readonly sha256: string
  /** the wheel's file name */
  readonly wheel: string
}

export interface SbomGraph {
  /** key → the keys it requires */
  readonly dependencies: ReadonlyMap<string, readonly string[]>
  /** the keys the user asked for: what the layer itself depends on */
  readonly roots: ReadonlySet<string>
}

/** Property names of this action (CycloneDX property taxonomy: a namespace of one's own). */
export const PROPERTY = {
  runtime: `${ACTION_NAME}:runtime`,
  architecture: `${ACTION_NAME}:architecture`,
  codeSha256: `${ACTION_NAME}:code-sha256`,
  codeSize: `${ACTION_NAME}:code-size`,
  unzippedSize: `${ACTION_NAME}:unzipped-size`,
  wheel: `${ACTION_NAME}:wheel`
} as const

/** `pkg:pypi/<PEP 503 name>@<version>` */
export function pypiPurl(key: string, version: string): string {
  return new PackageURL('pypi', undefined, key, version, undefined, undefined).toString()
}

/** The SBOM as the JSON text written to `<layer>.cdx.json`. */
export function layerSbom(
  subject: SbomSubject,
  packages: readonly LayerPackage[],
  origins: ReadonlyMap<string, PackageOrigin>,
  graph: SbomGraph
): string {
  const layer = new Component(ComponentType.Library, subject.layerName, {
    bomRef: subject.layerName,
    version: subject.version,
    hashes: new HashDictionary([
      [HashAlgorithm['SHA-256'], Buffer.from(subject.codeSha256, 'base64').toString('hex')]
    ]),
    properties: properties([
      [PROPERTY.runtime, subject.runtime],
      [PROPERTY.architecture, subject.architecture],
      [PROPERTY.codeSha256, subject.codeSha256],
      [PROPERTY.codeSize, String(subject.codeSize)],
      [PROPERTY.unzippedSize, String(subject.unzippedSize)]
    ])
  })
  const components = new Map<string, Component>()
  for (const p of packages) {
    const purl = pypiPurl(p.key, p.metadata.version)
    const origin = origins.get(p.key)
    const component = new Component(ComponentType.Library, p.metadata.name, {
      bomRef: purl,
      version: p.metadata.version,
      purl,
      ...(origin
        ? {
            hashes: new HashDictionary([[HashAlgorithm['SHA-256'], origin.sha256]]),
            properties: properties([[PROPERTY.wheel, origin.wheel]])
          }
        : {})
    })
    for (const license of declaredLicenses(p.metadata)) component.licenses.add(license)
    components.set(p.key, component)
  }
  for (const [key, component] of components) {
    for (const dependency of graph.dependencies.get(key) ?? []) {
      const target = components.get(dependency)
      if (target) component.dependencies.add(target.bomRef)
    }
    // a distribution nothing in the layer requires is there because the layer asked for it
    const required = [...graph.dependencies.values()].some(d => d.includes(key))
    if (graph.roots.has(key) || !required) layer.dependencies.add(component.bomRef)
  }

  const tool = new Component(ComponentType.Application, ACTION_NAME, {
    version: subject.toolVersion
  })
  const bom = new Bom({ metadata: new Metadata({ component: layer, tools: new Tools() }) })
  bom.metadata.tools.components.add(tool)
  for (const component of components.values()) bom.components.add(component)
  const serializer = new JsonSerializer(new JsonFormat.Normalize.Factory(Spec1dot6))
  const serialize = () => `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`
  // the serial number names the document's content: the same content, the same number
  bom.serialNumber = `urn:uuid:${uuidV5(serialize())}`
  return serialize()
}

function properties(pairs: readonly [string, string][]): PropertyRepository {
  return new PropertyRepository(pairs.map(([name, value]) => new Property(name, value)))
}

/** The RFC 4122 URL namespace. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'

/** RFC 4122 §4.3 name-based UUID, SHA-1 (version 5). */
export function uuidV5(name: string, namespace = URL_NAMESPACE): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
  hash[6] = (hash[6] & 0x0f) | 0x50
  hash[8] = (hash[8] & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
