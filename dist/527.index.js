export const id = 527;
export const ids = [527];
export const modules = {

/***/ 56527:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  readComparedLayer: () => (/* binding */ readComparedLayer),
  regionClients: () => (/* binding */ regionClients)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 7 modules
var core = __webpack_require__(33838);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-lambda/dist-cjs/index.js
var dist_cjs = __webpack_require__(71696);
// EXTERNAL MODULE: ./src/constants.ts
var constants = __webpack_require__(27242);
// EXTERNAL MODULE: ./src/deliver/clients.ts + 1 modules
var deliver_clients = __webpack_require__(77930);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/contents/inputs.ts
var inputs = __webpack_require__(2809);
// EXTERNAL MODULE: ./src/deliver/errors.ts
var deliver_errors = __webpack_require__(57150);
// EXTERNAL MODULE: ./src/deliver/layers.ts
var deliver_layers = __webpack_require__(47171);
// EXTERNAL MODULE: ./src/http.ts + 1 modules
var src_http = __webpack_require__(915);
// EXTERNAL MODULE: ./src/contents/http-range.ts
var http_range = __webpack_require__(15140);
// EXTERNAL MODULE: ./src/contents/own-upload.ts
var own_upload = __webpack_require__(50226);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
var external_node_fs_default = /*#__PURE__*/__webpack_require__.n(external_node_fs_);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/zip/reader.ts + 1 modules
var reader = __webpack_require__(78118);
// EXTERNAL MODULE: ./src/python/wheel-metadata.ts
var wheel_metadata = __webpack_require__(41299);
// EXTERNAL MODULE: ./src/contents/packages.ts
var contents_packages = __webpack_require__(28633);
;// CONCATENATED MODULE: ./src/contents/remote-zip.ts
/**
 * The distributions of a zip that is not on this machine, read with range requests: the tail (end
 * of central directory and the directory itself), then each `*.dist-info/METADATA` entry's bytes.
 * Each range is written where it lies in a sparse file of the zip's size, so that the one zip reader
 * (src/zip/reader.ts) reads it as it reads any zip; the bytes never fetched read as zeros and are
 * never looked at. A server that ignores `Range` sends the whole file once, which works too.
 */








const TAIL = 1024 * 1024;
/** A local header is 30 bytes, then a name and an extra field of at most 65,535 bytes each. */
const LOCAL_HEADER_MAX = 30 + 2 * 0xffff;
async function readRemoteZipPackages(source, label, tmpDir, o = {}) {
    const dir = await (0,promises_.mkdtemp)(external_node_path_default().join(tmpDir, 'remote-zip-'));
    let fd;
    let requests = 0;
    let bytes = 0;
    let total = -1;
    /** everything from here to the end of the file is on disk */
    let have = Infinity;
    const fetchInto = async (range) => {
        const got = await source(range);
        requests++;
        bytes += got.data.length;
        if (total < 0) {
            total = got.total;
            fd = external_node_fs_default().openSync(external_node_path_default().join(dir, 'layer.zip'), 'w+');
            external_node_fs_default().ftruncateSync(fd, total);
        }
        else if (got.total !== total)
            throw new errors/* LayerActionError */.Ic(`${label} changed while it was read (${total} bytes, then ${got.total})`);
        if (got.start + got.data.length > total)
            throw new errors/* LayerActionError */.Ic(`${label}: the server sent bytes beyond the end of the file`);
        const end = got.start + got.data.length;
        const whole = got.start === 0 && end === total;
        const short = 'start' in range ? got.start > range.start || end <= range.end : end !== total;
        if (short && !whole)
            throw new errors/* LayerActionError */.Ic(`${label}: asked for bytes ${(0,src_http/* rangeHeader */.Hq)(range).slice(6)}, the server sent ${got.start}-${end - 1} of ${total}`);
        external_node_fs_default().writeSync(fd, got.data, 0, got.data.length, got.start);
        // contiguous with what is on disk up to the end of the file
        if (end >= Math.min(have, total))
            have = Math.min(have, got.start);
        return got;
    };
    try {
        const tail = o.tail ?? TAIL;
        await fetchInto({ suffix: tail });
        const central = await centralDirectory(() => fd, label, tail, () => have, fetchInto);
        if (have > 0)
            await fetchEntries(central, total, have, fetchInto, o.concurrency ?? 8);
        const packages = await (0,contents_packages/* readZipPackages */.d)(fd, label, 'layer', central);
        return { ...packages, read: { requests, bytes, total } };
    }
    finally {
        if (fd !== undefined)
            external_node_fs_default().closeSync(fd);
        await (0,promises_.rm)(dir, { recursive: true, force: true });
    }
}
/** The directory, fetching twice as much of the file's end each time it is not all there yet. */
async function centralDirectory(fd, label, tail, have, fetchInto) {
    for (;;) {
        try {
            return (0,reader/* readCentralDirectory */.Hp)(fd(), label);
        }
        catch (error) {
            const from = have();
            if (!(error instanceof reader/* ZipFormatError */.PA) || from === 0)
                throw error;
            const size = external_node_fs_default().fstatSync(fd()).size;
            await fetchInto({ start: Math.max(0, from - Math.max(tail, size - from)), end: from - 1 });
        }
    }
}
/** Each METADATA entry from its local header up to the next entry (or as far as it can reach). */
async function fetchEntries(central, total, have, fetchInto, concurrency) {
    const offsets = [...new Set(central.map(e => e.localHeaderOffset))].sort((a, b) => a - b);
    const ranges = (0,contents_packages/* metadataEntries */.g)(central, 'layer')
        .filter(e => e.size <= wheel_metadata/* METADATA_MAX */.LL && e.localHeaderOffset < have)
        .map(e => {
        const next = offsets.find(offset => offset > e.localHeaderOffset) ?? total;
        const reach = e.localHeaderOffset + LOCAL_HEADER_MAX + e.compressedSize;
        return { start: e.localHeaderOffset, end: Math.min(next, reach, have, total) - 1 };
    });
    let whole = false;
    const queue = [...ranges];
    const worker = async () => {
        for (let range = queue.shift(); range && !whole; range = queue.shift()) {
            const got = await fetchInto(range);
            // a server that ignores Range has just sent everything
            if (got.start === 0 && got.data.length === total)
                whole = true;
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ranges.length) }, worker));
}

;// CONCATENATED MODULE: ./src/contents/compared.ts
/**
 * The version `compare-with` names, and its packages, read from that version itself:
 * GetLayerVersion, then the METADATA files of its zip through range requests on its pre-signed
 * location; where that location cannot be fetched (moto answers `s3://`), the zip this action
 * uploaded for it (same CodeSha256, under the layer's S3 prefix) or the SBOM beside that zip.
 */












/** `arn:…:layer:name:7` → its parts */
function parseLayerVersionArn(arn) {
    const parts = arn.split(':');
    return {
        region: parts[3],
        layerArn: parts.slice(0, 7).join(':'),
        name: parts[6],
        version: Number(parts[7])
    };
}
/** The version compare-with names; undefined when nothing is to be compared (or no version exists yet). */
async function target(req, clientsFor) {
    if (!(0,inputs/* comparesWith */.N)(req.compareWith, req.publish))
        return undefined;
    if (req.compareWith.startsWith('arn:'))
        return parseLayerVersionArn(req.compareWith);
    const versions = await (0,deliver_layers/* listLayerVersions */.n)(clientsFor(req.region).lambda, req.layerName);
    const latest = versions[0]?.Version;
    if (latest === undefined) {
        core/* info */.pq(`${req.layerName} has no version in ${req.region} yet: nothing to compare with`);
        return undefined;
    }
    return { region: req.region, layerArn: req.layerName, name: req.layerName, version: latest };
}
async function readComparedLayer(req, clientsFor) {
    const t = await target(req, clientsFor);
    if (!t)
        return undefined;
    const { lambda, s3 } = clientsFor(t.region);
    const { location, ...base } = await layerVersion(req, t, lambda);
    if (base.codeSha256 === req.own.codeSha256)
        return {
            ...base,
            unzippedSize: req.own.unzippedSize,
            packages: req.own.packages,
            source: 'identical'
        };
    let unreadable = `its location is ${location ? `'${location.split('?')[0]}'` : 'empty'}`;
    if (/^https?:\/\//.test(location)) {
        try {
            const http = new src_http/* HttpClient */.Qq();
            const read = await readZip(range => (0,http_range/* fetchRange */.sj)(location, range, http), base.layerVersionArn, req).finally(() => http.close());
            return { ...base, ...read, source: 'location' };
        }
        catch (error) {
            unreadable = (0,errors/* messageOf */.bD)(error);
            core/* info */.pq(`Could not read ${base.layerVersionArn} from its location (${unreadable}): looking in S3`);
        }
    }
    return { ...base, ...(await fromOwnUpload(req, t, s3, base, unreadable)) };
}
/** GetLayerVersion, which takes the layer's ARN as its name (moto's GetLayerVersionByArn answers nothing). */
async function layerVersion(req, t, lambda) {
    const v = await lambda
        .send(new dist_cjs/* GetLayerVersionCommand */.VK5({ LayerName: t.layerArn, VersionNumber: t.version }))
        .catch((error) => {
        const explained = (0,deliver_errors/* explainAwsError */.Ni)(error, {
            action: 'lambda:GetLayerVersion',
            resource: `${t.layerArn.startsWith('arn:') ? t.layerArn : (0,deliver_errors/* layerArnFor */.S)(t.region, t.name)}:${t.version}`,
            region: t.region
        });
        if (explained.kind === 'not-found' && req.compareWith.startsWith('arn:'))
            throw new errors/* InputError */.dz(constants/* Inputs */.G0.CompareWith, req.compareWith, 'the ARN of a layer version that exists (this one does not: deleted, or a typo), or latest, auto or none');
        throw explained;
    });
    return {
        layerVersionArn: v.LayerVersionArn ?? `${t.layerArn}:${t.version}`,
        codeSha256: v.Content?.CodeSha256 ?? '',
        codeSize: v.Content?.CodeSize,
        location: v.Content?.Location ?? ''
    };
}
/** The zip this action uploaded for that version, under the layer's prefix: the SBOM beside it, else the zip. */
async function fromOwnUpload(req, t, s3, version, unreadable) {
    const bucket = req.bucket.replace(/\{region\}/g, t.region);
    const what = `Could not read the packages of ${version.layerVersionArn}: ${unreadable}, and`;
    if (!bucket)
        throw new errors/* LayerActionError */.Ic(`${what} no 'bucket' is given to look for the zip this action uploaded for it`);
    const at = { s3, region: t.region, bucket };
    const prefix = (0,own_upload/* layerKeyPrefix */.p2)(req.s3Prefix, t.name);
    const key = await (0,own_upload/* findOwnUpload */.Vj)(at, prefix, version);
    if (!key)
        throw new errors/* LayerActionError */.Ic(`${what} s3://${bucket}/${prefix} holds no zip with its CodeSha256 ${version.codeSha256} (a version this action did not upload there)`);
    const sbom = await (0,own_upload/* readSbomBeside */.Ch)(at, key, version.codeSha256);
    if (sbom)
        return { ...sbom, source: 'own-sbom' };
    return {
        ...(await readZip((0,own_upload/* s3RangeSource */.FS)(at, key), version.layerVersionArn, req)),
        source: 'own-zip'
    };
}
async function readZip(source, label, req) {
    const zip = await readRemoteZipPackages(source, label, req.tmpDir);
    for (const why of zip.skipped)
        core/* warning */.$e(`${label}: ${why}`);
    return {
        packages: zip.packages.map(p => ({ name: p.key, version: p.metadata.version })),
        unzippedSize: zip.unzippedSize,
        read: zip.read
    };
}
/** The clients of each region, made on first use. */
function regionClients() {
    const made = new Map();
    return region => {
        let clients = made.get(region);
        if (!clients) {
            clients = (0,deliver_clients/* createClients */.hP)({ region, userAgent: `${constants/* ACTION_NAME */.px}/${constants/* ACTION_VERSION */.Yt}` });
            made.set(region, clients);
        }
        return clients;
    };
}


/***/ }),

/***/ 47171:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ef: () => (/* binding */ listLayerVersionsPage),
/* harmony export */   XV: () => (/* binding */ sameSet),
/* harmony export */   bI: () => (/* binding */ publishLayerVersion),
/* harmony export */   n: () => (/* binding */ listLayerVersions),
/* harmony export */   s3: () => (/* binding */ layerArnOf),
/* harmony export */   um: () => (/* binding */ getLayerVersion)
/* harmony export */ });
/* unused harmony export LIST_PAGE_MAX */
/* harmony import */ var _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(71696);
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57150);
/* harmony import */ var _names__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(67673);
/**
 * Lambda layer versions (their name rules are in names.ts): listing and reading versions, publishing from S3.
 * Limits are Lambda's API model (PublishLayerVersion, AddLayerVersionPermission, read 2026-11).
 */



/** `arn:…:layer:name:7` → `arn:…:layer:name` */
function layerArnOf(layerVersionArn) {
    return layerVersionArn.replace(/:\d+$/, '');
}
async function regionOf(lambda) {
    return lambda.config.region();
}
/** Every version of the layer, newest first; none (not an error) when the layer does not exist. */
async function listLayerVersions(lambda, layerName) {
    const versions = [];
    let marker;
    do {
        const page = await listLayerVersionsPage(lambda, layerName, marker);
        versions.push(...page.versions);
        marker = page.next;
    } while (marker);
    return versions.sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0));
}
/** Same members, order ignored. */
function sameSet(a, b) {
    return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
/** One version with its CodeSha256 (which only GetLayerVersion returns). */
async function getLayerVersion(lambda, layerName, version) {
    const region = await regionOf(lambda);
    try {
        const v = await lambda.send(new _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__/* .GetLayerVersionCommand */ .VK5({ LayerName: layerName, VersionNumber: version }));
        const layerVersionArn = v.LayerVersionArn ?? `${(0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, layerName)}:${version}`;
        return {
            layerArn: v.LayerArn ?? layerArnOf(layerVersionArn),
            layerVersionArn,
            version: v.Version ?? version,
            codeSha256: v.Content?.CodeSha256 ?? '',
            codeSize: v.Content?.CodeSize,
            description: v.Description,
            compatibleRuntimes: [...(v.CompatibleRuntimes ?? [])],
            compatibleArchitectures: [...(v.CompatibleArchitectures ?? [])],
            createdDate: v.CreatedDate
        };
    }
    catch (error) {
        throw (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .explainAwsError */ .Ni)(error, {
            action: 'lambda:GetLayerVersion',
            resource: `${(0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, layerName)}:${version}`,
            region
        });
    }
}
/** ListLayerVersions' page size limit (MaxItems). */
const LIST_PAGE_MAX = 50;
/** One page of ListLayerVersions, newest first; none (not an error) when the layer does not exist. */
async function listLayerVersionsPage(lambda, layerName, marker, maxItems = LIST_PAGE_MAX) {
    const region = await regionOf(lambda);
    try {
        const page = await lambda.send(new _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__/* .ListLayerVersionsCommand */ .icq({ LayerName: layerName, Marker: marker, MaxItems: maxItems }));
        // Lambda lists newest first; sorted again in case a server does not
        const versions = [...(page.LayerVersions ?? [])].sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0));
        return { versions, next: page.NextMarker };
    }
    catch (error) {
        if (error.name === 'ResourceNotFoundException')
            return { versions: [] };
        throw (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .explainAwsError */ .Ni)(error, {
            action: 'lambda:ListLayerVersions',
            resource: (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, layerName),
            region
        });
    }
}
async function publishLayerVersion(lambda, p) {
    (0,_names__WEBPACK_IMPORTED_MODULE_1__/* .validateLayerName */ .jo)(p.layerName);
    const region = await regionOf(lambda);
    try {
        const r = await lambda.send(new _aws_sdk_client_lambda__WEBPACK_IMPORTED_MODULE_2__/* .PublishLayerVersionCommand */ .cl_({
            LayerName: p.layerName,
            Content: {
                S3Bucket: p.bucket,
                S3Key: p.key,
                ...(p.objectVersion ? { S3ObjectVersion: p.objectVersion } : {})
            },
            Description: (0,_names__WEBPACK_IMPORTED_MODULE_1__/* .layerDescription */ .iq)(p.description),
            CompatibleRuntimes: [...p.compatibleRuntimes],
            CompatibleArchitectures: [p.architecture],
            ...(p.licenseInfo ? { LicenseInfo: (0,_names__WEBPACK_IMPORTED_MODULE_1__/* .validateLicenseInfo */ .Qs)(p.licenseInfo) } : {})
        }));
        if (!r.LayerVersionArn || r.Version === undefined) {
            throw new Error('PublishLayerVersion answered without LayerVersionArn or Version');
        }
        return {
            layerArn: r.LayerArn ?? layerArnOf(r.LayerVersionArn),
            layerVersionArn: r.LayerVersionArn,
            version: r.Version,
            codeSha256: r.Content?.CodeSha256 ?? '',
            codeSize: r.Content?.CodeSize
        };
    }
    catch (error) {
        throw (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .explainAwsError */ .Ni)(error, {
            action: 'lambda:PublishLayerVersion',
            resource: (0,_errors__WEBPACK_IMPORTED_MODULE_0__/* .layerArnFor */ .S)(region, p.layerName),
            region,
            bucket: p.bucket,
            key: p.key
        });
    }
}


/***/ })

};
