export const id = 425;
export const ids = [425];
export const modules = {

/***/ 96425:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  sr: () => (/* binding */ PROPERTY),
  layerSbom: () => (/* binding */ layerSbom)
});

// UNUSED EXPORTS: pypiPurl, uuidV5

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/enums/index.js
var enums = __webpack_require__(84439);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/models/index.js
var models = __webpack_require__(50320);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/serialize/index.node.js
var index_node = __webpack_require__(51248);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/spec/index.js
var spec = __webpack_require__(94321);
// EXTERNAL MODULE: ./node_modules/packageurl-js/index.js
var packageurl_js = __webpack_require__(87091);
// EXTERNAL MODULE: ./src/constants.ts
var constants = __webpack_require__(27242);
// EXTERNAL MODULE: ./node_modules/@cyclonedx/cyclonedx-library/dist.node/contrib/license/index.node.js
var license_index_node = __webpack_require__(84909);
// EXTERNAL MODULE: ./node_modules/spdx-expression-parse/index.js
var spdx_expression_parse = __webpack_require__(93326);
var spdx_expression_parse_default = /*#__PURE__*/__webpack_require__.n(spdx_expression_parse);
;// CONCATENATED MODULE: ./src/contents/licenses.ts
/**
 * A distribution's declared license as CycloneDX licenses: `License-Expression` (PEP 639), else a
 * short `License` field, else the license classifiers, else the `License` text itself. The
 * library's LicenseFactory decides between an SPDX id, an SPDX expression and a plain name.
 */




const factory = new license_index_node.Factories.LicenseFactory(expression => {
    spdx_expression_parse_default()(expression);
});
/**
 * License classifiers that name exactly one SPDX license (PEP 639, "Mapping License Classifiers to
 * SPDX Identifiers"): `Apache Software License` or `BSD License` name no version, so they stay names.
 */
const CLASSIFIER_SPDX = {
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
};
/** A `License` field longer than this, or on more than one line, is the license's text, not its name. */
const NAME_MAX = 100;
function declaredLicenses(m) {
    const declared = (l) => {
        l.acknowledgement = enums.LicenseAcknowledgement.Declared;
        return l;
    };
    if (m.licenseExpression)
        return [declared(factory.makeFromString(m.licenseExpression))];
    const license = m.license?.trim();
    if (license && !license.includes('\n') && license.length <= NAME_MAX)
        return [declared(factory.makeFromString(license))];
    const classified = [
        ...new Set(m.classifiers
            .filter(c => c.startsWith('License :: '))
            .map(c => c.split('::').pop()?.trim() ?? '')
            .filter(name => name !== '' && name !== 'OSI Approved'))
    ];
    if (classified.length > 0)
        return classified.map(name => declared(CLASSIFIER_SPDX[name]
            ? factory.makeSpdxLicense(CLASSIFIER_SPDX[name])
            : factory.makeNamedLicense(name)));
    if (license)
        return [
            declared(new models.NamedLicense(`declared license of ${m.name}`, { text: new models.Attachment(license) }))
        ];
    return [];
}

;// CONCATENATED MODULE: ./src/contents/sbom.ts
/**
 * The layer's CycloneDX 1.6 SBOM, made with the CycloneDX project's own library: the layer as the
 * subject, one component per distribution in the zip (purl, the wheel's SHA-256, the declared
 * license), the dependency graph as resolved for the target. No clock: the same layer gives the
 * same bytes, its serial number a UUID v5 of what the document says.
 */








/** Property names of this action (CycloneDX property taxonomy: a namespace of one's own). */
const PROPERTY = {
    runtime: `${constants/* ACTION_NAME */.px}:runtime`,
    architecture: `${constants/* ACTION_NAME */.px}:architecture`,
    codeSha256: `${constants/* ACTION_NAME */.px}:code-sha256`,
    codeSize: `${constants/* ACTION_NAME */.px}:code-size`,
    unzippedSize: `${constants/* ACTION_NAME */.px}:unzipped-size`,
    wheel: `${constants/* ACTION_NAME */.px}:wheel`
};
/** `pkg:pypi/<PEP 503 name>@<version>` */
function pypiPurl(key, version) {
    return new packageurl_js.PackageURL('pypi', undefined, key, version, undefined, undefined).toString();
}
/** The SBOM as the JSON text written to `<layer>.cdx.json`. */
function layerSbom(subject, packages, origins, graph) {
    const layer = new models.Component(enums.ComponentType.Library, subject.layerName, {
        bomRef: subject.layerName,
        version: subject.version,
        hashes: new models.HashDictionary([
            [enums.HashAlgorithm['SHA-256'], Buffer.from(subject.codeSha256, 'base64').toString('hex')]
        ]),
        properties: properties([
            [PROPERTY.runtime, subject.runtime],
            [PROPERTY.architecture, subject.architecture],
            [PROPERTY.codeSha256, subject.codeSha256],
            [PROPERTY.codeSize, String(subject.codeSize)],
            [PROPERTY.unzippedSize, String(subject.unzippedSize)]
        ])
    });
    const components = new Map();
    for (const p of packages) {
        const purl = pypiPurl(p.key, p.metadata.version);
        const origin = origins.get(p.key);
        const component = new models.Component(enums.ComponentType.Library, p.metadata.name, {
            bomRef: purl,
            version: p.metadata.version,
            purl,
            ...(origin
                ? {
                    hashes: new models.HashDictionary([[enums.HashAlgorithm['SHA-256'], origin.sha256]]),
                    properties: properties([[PROPERTY.wheel, origin.wheel]])
                }
                : {})
        });
        for (const license of declaredLicenses(p.metadata))
            component.licenses.add(license);
        components.set(p.key, component);
    }
    for (const [key, component] of components) {
        for (const dependency of graph.dependencies.get(key) ?? []) {
            const target = components.get(dependency);
            if (target)
                component.dependencies.add(target.bomRef);
        }
        // a distribution nothing in the layer requires is there because the layer asked for it
        const required = [...graph.dependencies.values()].some(d => d.includes(key));
        if (graph.roots.has(key) || !required)
            layer.dependencies.add(component.bomRef);
    }
    const tool = new models.Component(enums.ComponentType.Application, constants/* ACTION_NAME */.px, {
        version: subject.toolVersion
    });
    const bom = new models.Bom({ metadata: new models.Metadata({ component: layer, tools: new models.Tools() }) });
    bom.metadata.tools.components.add(tool);
    for (const component of components.values())
        bom.components.add(component);
    const serializer = new index_node.JsonSerializer(new index_node.JSON.Normalize.Factory(spec.Spec1dot6));
    const serialize = () => `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
    // the serial number names the document's content: the same content, the same number
    bom.serialNumber = `urn:uuid:${uuidV5(serialize())}`;
    return serialize();
}
function properties(pairs) {
    return new models.PropertyRepository(pairs.map(([name, value]) => new models.Property(name, value)));
}
/** The RFC 4122 URL namespace. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
/** RFC 4122 §4.3 name-based UUID, SHA-1 (version 5). */
function uuidV5(name, namespace = URL_NAMESPACE) {
    const hash = (0,external_node_crypto_.createHash)('sha1')
        .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
        .update(name, 'utf8')
        .digest();
    hash[6] = (hash[6] & 0x0f) | 0x50;
    hash[8] = (hash[8] & 0x3f) | 0x80;
    const hex = hash.subarray(0, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}


/***/ })

};
