/**
 * A distribution's declared license as CycloneDX licenses: `License-Expression` (PEP 639), else a
 * short `License` field, else the license classifiers, else the `License` text itself. The
 * library's LicenseFactory decides between an SPDX id, an SPDX expression and a plain name.
 */
import { LicenseAcknowledgement } from '@cyclonedx/cyclonedx-library/Enums'
import { Attachment, NamedLicense, type License } from '@cyclonedx/cyclonedx-library/Models'
import { Factories } from '@cyclonedx/cyclonedx-library/Contrib/License'
import parseSpdxExpression from 'spdx-expression-parse'
import type { CoreMetadata } from '../python/metadata'

const factory = new Factories.LicenseFactory(expression => {
  parseSpdxExpression(expression)
})

/**
 * License classifiers that name exactly one SPDX license (PEP 639, "Mapping License Classifiers to
 * SPDX Identifiers"): `Apache Software License` or `BSD License` name no version, so they stay names.
 */
const CLASSIFIER_SPDX: Readonly<Record<string, string>> = {
  'MIT License': 'MIT',
  'MIT No Attribution License (MIT-0)': 'MIT-0',
  'ISC License (ISCL)': 'ISC',
  'Python Software Foundation License': 'PSF-2.0',
  'GNU General Public License v2 (GPLv2)': 'GPL-2.0-only',
  'GNU General Public License v2 or later (GPLv2+)': 'GPL-2.0-or-later',
  'GNU General Public License v3 (GPLv3)': 'GPL-3.0-only',
  'GNU General Public License v3 or later (GPLv3+)': 'GPL-3.0-or-later',
  'GNU Lesser General Public License v3 (LGPLv3)': 'LGPL-3.0-only',
  'GNU Lesser General Public License v3 or later (LGPLv3+)': 'LGPL-3.0-or-later',
  'GNU Affero General Public License v3': 'AGPL-3.0-only',
  'GNU Affero General Public License v3 or later (AGPLv3+)': 'AGPL-3.0-or-later',
  'Mozilla Public License 2.0 (MPL 2.0)': 'MPL-2.0',
  'Eclipse Public License 2.0 (EPL-2.0)': 'EPL-2.0',
  'Boost Software License 1.0 (BSL-1.0)': 'BSL-1.0',
  'The Unlicense (Unlicense)': 'Unlicense',
  'zlib/libpng License': 'Zlib',
  'PostgreSQL License': 'PostgreSQL',
  'Universal Permissive License (UPL)': 'UPL-1.0',
  'CC0 1.0 Universal (CC0 1.0) Public Domain Dedication': 'CC0-1.0'
}

/** A `License` field longer than this, or on more than one line, is the license's text, not its name. */
const NAME_MAX = 100

export function declaredLicenses(m: CoreMetadata): License[] {
  const declared = (l: License) => {
    l.acknowledgement = LicenseAcknowledgement.Declared
    return l
  }
  if (m.licenseExpression) return [declared(factory.makeFromString(m.licenseExpression))]
  const license = m.license?.trim()
  if (license && !license.includes('\n') && license.length <= NAME_MAX)
    return [declared(factory.makeFromString(license))]
  const classified = [
    ...new Set(
      m.classifiers
        .filter(c => c.startsWith('License :: '))
        .map(c => c.split('::').pop()?.trim() ?? '')
        .filter(name => name !== '' && name !== 'OSI Approved')
    )
  ]
  if (classified.length > 0)
    return classified.map(name =>
      declared(
        CLASSIFIER_SPDX[name]
          ? factory.makeSpdxLicense(CLASSIFIER_SPDX[name])
          : factory.makeNamedLicense(name)
      )
    )
  if (license)
    return [
      declared(new NamedLicense(`declared license of ${m.name}`, { text: new Attachment(license) }))
    ]
  return []
}
