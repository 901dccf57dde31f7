export const id = 139;
export const ids = [139];
export const modules = {

/***/ 17139:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   sbomBesideZips: () => (/* binding */ sbomBesideZips)
/* harmony export */ });
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(33838);
/* harmony import */ var _constants__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(27242);
/* harmony import */ var _deliver_clients__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(77930);
/* harmony import */ var _deliver_names__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(67673);
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(83916);
/* harmony import */ var _own_upload__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(50226);
/**
 * Where the SBOM goes after the publish: beside the zip in S3 (the zip's key with `.cdx.json`), in
 * every region. A version reused from an earlier run gets it beside that run's zip when it is not
 * there yet, so a rerun after a failed upload finishes the job.
 */






/** The primary region's SBOM key ('' when none lies beside its zip). */
async function sbomBesideZips(inputs, deliveries, json, o = {}) {
    const s3For = o.s3For ??
        ((region) => (0,_deliver_clients__WEBPACK_IMPORTED_MODULE_2__/* .createClients */ .hP)({ region, userAgent: `${_constants__WEBPACK_IMPORTED_MODULE_1__/* .ACTION_NAME */ .px}/${_constants__WEBPACK_IMPORTED_MODULE_1__/* .ACTION_VERSION */ .Yt}` }).s3);
    const keys = await Promise.all(deliveries.map(async (d) => {
        const at = {
            s3: s3For(d.region),
            region: d.region,
            bucket: d.s3?.bucket ?? (0,_deliver_names__WEBPACK_IMPORTED_MODULE_3__/* .bucketForRegion */ .UQ)(inputs.bucket, d.region)
        };
        if (d.s3) {
            const key = (0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .sbomKeyOf */ .qH)(d.s3.key);
            // a failure here fails the hand-off step, which says the version is in place and a rerun completes it
            await (0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .putSbom */ .TS)(at, key, json);
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`SBOM uploaded: s3://${at.bucket}/${key}`);
            return key;
        }
        return besideEarlierZip(inputs, d, at, json);
    }));
    return keys[0] ?? '';
}
/** An unchanged or reused version: its SBOM beside the zip an earlier run uploaded for it. */
async function besideEarlierZip(inputs, d, at, json) {
    try {
        const zipKey = await (0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .findOwnUpload */ .Vj)(at, (0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .layerKeyPrefix */ .p2)(inputs.s3Prefix, inputs.publishedName), {
            codeSha256: d.codeSha256,
            codeSize: d.codeSize
        });
        if (!zipKey) {
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`No zip of ${d.layerVersionArn} under s3://${at.bucket}/${(0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .layerKeyPrefix */ .p2)(inputs.s3Prefix, inputs.publishedName)}: no SBOM placed beside it`);
            return '';
        }
        const key = (0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .sbomKeyOf */ .qH)(zipKey);
        if (await (0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .objectExists */ .EK)(at, key)) {
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`SBOM of ${d.layerVersionArn}: s3://${at.bucket}/${key} (already there)`);
            return key;
        }
        await (0,_own_upload__WEBPACK_IMPORTED_MODULE_5__/* .putSbom */ .TS)(at, key, json);
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`SBOM of ${d.layerVersionArn} placed beside its zip: s3://${at.bucket}/${key}`);
        return key;
    }
    catch (error) {
        // nothing was published now: a missing s3:ListBucket must not fail an unchanged layer
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .warning */ .$e(`The SBOM of ${d.layerVersionArn} was not placed beside its zip: ${(0,_errors__WEBPACK_IMPORTED_MODULE_4__/* .messageOf */ .bD)(error)}`);
        return '';
    }
}


/***/ })

};
