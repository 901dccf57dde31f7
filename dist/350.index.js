export const id = 350;
export const ids = [350];
export const modules = {

/***/ 92350:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   attachSbomToRelease: () => (/* binding */ attachSbomToRelease)
/* harmony export */ });
/* unused harmony exports sbomAssetName, uploadSbomAsset */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(33838);
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(92413);
/* harmony import */ var _errors__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(83916);
/**
 * `github-release: true` with `sbom: true`: the SBOM as the release asset `<layer>-<version>.cdx.json`.
 * Each matrix job adds its own (its layer's name); a rerun replaces its own. Uploaded to the
 * release's own `upload_url`: octokit's default uploads host is wrong on GitHub Enterprise Server.
 */




function sbomAssetName(layerName, version) {
    return `${layerName}-${version}.cdx.json`;
}
async function uploadSbomAsset(octokit, r) {
    const where = { owner: r.owner, repo: r.repo };
    try {
        const uploadUrl = r.uploadUrl ??
            (await octokit.rest.repos.getRelease({ ...where, release_id: r.releaseId })).data.upload_url;
        const assets = await octokit.paginate(octokit.rest.repos.listReleaseAssets, {
            ...where,
            release_id: r.releaseId,
            per_page: 100
        });
        const data = Buffer.from(r.json);
        const old = assets.filter(a => a.name === r.name);
        // GitHub gives every asset's `digest` (sha256:…) since 2025-06; without one, the asset is replaced
        const digest = `sha256:${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256').update(data).digest('hex')}`;
        const same = old.find(a => a.digest === digest);
        if (same && old.length === 1) {
            _actions_core__WEBPACK_IMPORTED_MODULE_1__/* .info */ .pq(`The release asset ${r.name} is already there with these bytes`);
            return { url: same.browser_download_url, status: 'unchanged' };
        }
        for (const a of old)
            await octokit.rest.repos.deleteReleaseAsset({ ...where, asset_id: a.id });
        // `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}`: the template part goes
        const url = `${uploadUrl.replace(/\{[^}]*\}$/, '')}?name=${encodeURIComponent(r.name)}`;
        const { data: asset } = await octokit.request({
            method: 'POST',
            url,
            // Content-Length comes from the Buffer itself: Node 24's fetch refuses one given by hand
            headers: { 'content-type': 'application/vnd.cyclonedx+json' },
            data
        });
        const download = asset.browser_download_url ?? '';
        _actions_core__WEBPACK_IMPORTED_MODULE_1__/* .info */ .pq(`${old.length > 0 ? 'Replaced' : 'Added'} the release asset ${r.name}: ${download}`);
        return { url: download, status: old.length > 0 ? 'replaced' : 'added' };
    }
    catch (error) {
        const status = error.status;
        throw new _errors__WEBPACK_IMPORTED_MODULE_3__/* .LayerActionError */ .Ic(`Could not attach ${r.name} to the GitHub Release ${r.releaseId} of ${r.owner}/${r.repo}: ` +
            `GitHub answered ${typeof status === 'number' ? status : 'no HTTP status'}: ${(0,_errors__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(error)}.` +
            (status === 403 || status === 404
                ? " The job needs 'permissions: contents: write'."
                : ' A rerun replaces the asset.'), { cause: error });
    }
}
/** The stage's call, with the repository and API URL of the workflow run. */
async function attachSbomToRelease(o) {
    const env = o.env ?? process.env;
    const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
    if (!owner || !repo)
        throw new _errors__WEBPACK_IMPORTED_MODULE_3__/* .LayerActionError */ .Ic(`The SBOM release asset needs the repository (owner/name) from GITHUB_REPOSITORY, which is '${env.GITHUB_REPOSITORY ?? ''}'`);
    const octokit = o.octokit ?? (0,_actions_github__WEBPACK_IMPORTED_MODULE_2__.getOctokit)(o.token, { baseUrl: env.GITHUB_API_URL || 'https://api.github.com' });
    return uploadSbomAsset(octokit, {
        owner,
        repo,
        releaseId: o.releaseId,
        ...(o.uploadUrl ? { uploadUrl: o.uploadUrl } : {}),
        name: sbomAssetName(o.layerName, o.version),
        json: o.json
    });
}


/***/ })

};
