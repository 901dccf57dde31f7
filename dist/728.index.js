export const id = 728;
export const ids = [728];
export const modules = {

/***/ 4728:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  publishLayer: () => (/* binding */ publishLayer)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 7 modules
var core = __webpack_require__(3838);
// EXTERNAL MODULE: ./src/constants.ts
var constants = __webpack_require__(7242);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/deliver/clients.ts
var deliver_clients = __webpack_require__(6045);
// EXTERNAL MODULE: ./src/deliver/deliver.ts
var deliver = __webpack_require__(5776);
// EXTERNAL MODULE: ./src/deliver/health.ts
var health = __webpack_require__(7863);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-ssm/dist-cjs/index.js
var dist_cjs = __webpack_require__(4736);
// EXTERNAL MODULE: ./src/deliver/errors.ts
var deliver_errors = __webpack_require__(7150);
;// CONCATENATED MODULE: ./src/deliver/ssm.ts
/**
 * The layer version ARN handed to infrastructure code through SSM Parameter Store, as Powertools
 * publishes its own: `<name>/latest` and `<name>/<version>`, resolvable from CloudFormation,
 * Terraform and CDK without knowing the version number.
 */



/** `/layers/{layer}` → `/layers/common-prod` */
function parameterBase(template, layerName) {
    return template.replace(/\{layer\}/g, layerName).replace(/\/+$/, '');
}
/**
 * Writes `<base>/latest` and, with a version, `<base>/<version>` (String, overwritten), both holding
 * the layer version ARN. Returns the names written.
 */
async function writeLayerParameters(ssm, p, o = {}) {
    const log = o.log ?? core/* info */.pq;
    const region = await ssm.config.region();
    const names = [`${p.base}/latest`, ...(p.version ? [`${p.base}/${p.version}`] : [])];
    for (const name of names) {
        try {
            await ssm.send(new dist_cjs/* PutParameterCommand */.ihh({
                Name: name,
                Value: p.layerVersionArn,
                Type: 'String',
                Overwrite: true,
                Description: p.description.slice(0, 1024)
            }));
        }
        catch (error) {
            throw (0,deliver_errors/* explainAwsError */.Ni)(error, {
                action: 'ssm:PutParameter',
                resource: `arn:${(0,deliver_errors/* partitionOf */.iQ)(region)}:ssm:${region}:<account-id>:parameter${name}`,
                region
            });
        }
    }
    log(`SSM ${names.join(', ')} = ${p.layerVersionArn}`);
    return names;
}

;// CONCATENATED MODULE: ./src/deliver/publish.ts
/**
 * The run's zip → a layer version in every target region, from the inputs and the plan; then the
 * health check (which may roll the functions back) and the SSM parameters.
 */







async function publishLayer(inputs, plan, zip) {
    const clients = new Map();
    const clientsFor = (region) => {
        if (!clients.has(region))
            clients.set(region, (0,deliver_clients/* createClients */.hP)({ region, userAgent: `${constants/* ACTION_NAME */.px}/${constants/* ACTION_VERSION */.Yt}` }));
        return clients.get(region);
    };
    const deliveries = await (0,deliver/* deliverToRegions */.Oi)(inputs.regions, clientsFor, {
        layerName: inputs.publishedName,
        bucket: inputs.bucket,
        key: plan.s3Key,
        zipPath: zip.path,
        sha256: zip.sha256,
        skipUnchanged: inputs.skipUnchanged,
        // the default description names the commit: a version built from it is compared first
        hint: plan.sha ? plan.sha.slice(0, 7) : undefined,
        description: plan.description,
        compatibleRuntimes: inputs.compatibleRuntimes,
        architecture: inputs.architecture,
        licenseInfo: inputs.licenseInfo || undefined,
        metadata: Object.fromEntries(Object.entries({
            version: plan.release.version,
            tag: plan.release.tag,
            commit: plan.sha
        }).filter(([, v]) => v)),
        keepVersions: inputs.keepVersions,
        shareWith: inputs.shareWith,
        updateFunctions: inputs.updateFunctions
    });
    if (inputs.healthCheck.length > 0)
        await (0,health/* checkHealth */.Ns)(deliveries, clientsFor, inputs.healthCheck, inputs.healthCheckPayload);
    // after the health check: `latest` never names a version whose functions were rolled back
    if (inputs.ssmParameter) {
        const base = parameterBase(inputs.ssmParameter, inputs.publishedName);
        for (const d of deliveries) {
            try {
                d.parameters = await writeLayerParameters(clientsFor(d.region).ssm, {
                    base,
                    layerVersionArn: d.layerVersionArn,
                    // `<version>` names a release, so only a published version gets one; reuse moves `latest`
                    version: d.published ? plan.release.version : undefined,
                    description: `${constants/* ACTION_NAME */.px}: ${inputs.publishedName} ${plan.release.tag} (layer version ${d.version})`
                });
            }
            catch (error) {
                throw new errors/* LayerActionError */.Ic(`${d.layerVersionArn} is ${d.published ? 'published' : 'the result'}, but 'ssm-parameter' failed in ${d.region}: ${(0,errors/* messageOf */.bD)(error)}`, { cause: error });
            }
        }
    }
    core/* debug */.Yz(`deliveries: ${JSON.stringify(deliveries)}`);
    return deliveries;
}


/***/ })

};
