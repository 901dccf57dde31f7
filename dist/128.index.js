export const id = 128;
export const ids = [128];
export const modules = {

/***/ 55128:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  githubRelease: () => (/* binding */ githubRelease)
});

// UNUSED EXPORTS: releaseOnGitHub

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 7 modules
var core = __webpack_require__(33838);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js + 22 modules
var github = __webpack_require__(92413);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/release/changelog.ts
var changelog = __webpack_require__(42495);
// EXTERNAL MODULE: external "node:timers/promises"
var promises_ = __webpack_require__(58500);
// EXTERNAL MODULE: ./src/markdown.ts
var markdown = __webpack_require__(83758);
;// CONCATENATED MODULE: ./src/release/github-release.ts
/**
 * The GitHub Release of a tag: its changelog and one table environment → region → layer version
 * ARN that every job of a matrix fills in with its own rows.
 *
 * Jobs write the same release body at the same moment, and GitHub's release API has no conditional
 * write (no If-Match): a PATCH replaces the body. So each job owns rows marked with its layer name
 * (`<!-- layer-action:row common-dev us-east-1 -->`), merges them into the body it read, writes, then
 * reads again after a short random wait: when a job that read before our write has written after
 * it, our rows are gone, and we merge and write again (up to `attempts` times). Rows of other jobs
 * are never dropped, only our own replaced; text outside the marked table (edited by hand, or
 * written by another tool) is kept.
 */




const BEGIN = '<!-- layer-action:layers:begin -->';
const END = '<!-- layer-action:layers:end -->';
const ROW = /<!-- layer-action:row (\S+) (\S+) -->/;
const HEADER = [
    '### Lambda layer versions',
    '',
    '| Environment | Region | Layer version ARN |',
    '|---|---|---|'
];
function rowLine(layer, r) {
    return `| ${r.environment || '—'} | ${r.region} | \`${r.layerVersionArn}\` <!-- layer-action:row ${layer} ${r.region} --> |`;
}
function rowsOf(body) {
    const rows = [];
    for (const line of body.split('\n')) {
        const m = ROW.exec(line);
        if (m)
            rows.push({ layer: m[1], region: m[2], line: line.trim() });
    }
    return rows;
}
/** The body with this job's rows in the marked table (added, or replacing its own); the rest kept. */
function mergeReleaseBody(body, changelog, layer, rows) {
    const text = (body ?? '').replace(/\r\n/g, '\n');
    const begin = text.indexOf(BEGIN);
    const end = text.indexOf(END, begin);
    const hasTable = begin >= 0 && end > begin;
    const others = hasTable
        ? rowsOf(text.slice(begin, end)).filter(r => r.layer !== layer)
        : rowsOf(text).filter(r => r.layer !== layer);
    const mine = rows.map(r => ({ layer, region: r.region, line: rowLine(layer, r) }));
    const all = [...others, ...mine].sort((a, b) => a.line.localeCompare(b.line) || a.region.localeCompare(b.region));
    const table = [BEGIN, ...HEADER, ...all.map(r => r.line), END].join('\n');
    if (hasTable)
        return text.slice(0, begin) + table + text.slice(end + END.length);
    const before = text.trim() || changelog.trim();
    return before ? `${before}\n\n${table}\n` : `${table}\n`;
}
/** True when every row of ours is in the body exactly as we wrote it. */
function holdsRows(body, layer, rows) {
    const present = new Set(rowsOf(body ?? '').map(r => r.line));
    return rows.every(r => present.has(rowLine(layer, r)));
}
function statusOf(error) {
    const status = error.status;
    return typeof status === 'number' ? status : undefined;
}
function isAlreadyExists(error) {
    const errors = error.response
        ?.data?.errors;
    return statusOf(error) === 422 && (errors ?? []).some(e => e.code === 'already_exists');
}
const PERMISSION = "The job needs 'permissions: contents: write' (and 'github-token' a token allowed to write releases).";
function explain(error, what) {
    const status = statusOf(error);
    const hint = status === 401 || status === 403 || status === 404 ? ` ${PERMISSION}` : '';
    return new errors/* LayerActionError */.Ic(`Could not ${what}: GitHub answered ${status ?? 'no HTTP status'}: ${(0,errors/* messageOf */.bD)(error)}.${hint}`, { cause: error });
}
async function readRelease(octokit, r) {
    try {
        const { data } = await octokit.rest.repos.getReleaseByTag({
            owner: r.owner,
            repo: r.repo,
            tag: r.tag
        });
        return data;
    }
    catch (error) {
        if (statusOf(error) === 404)
            return undefined;
        throw error;
    }
}
/**
 * Creates the release of `tag` with this job's rows, or merges them into the existing one, and
 * checks they are still there after concurrent writers (see the top of this file).
 */
async function upsertRelease(octokit, r, o = {}) {
    const attempts = Math.max(1, o.attempts ?? 5);
    const verifyMs = o.verifyMs ?? 1500;
    const sleep = o.sleep ?? promises_.setTimeout;
    const random = o.random ?? Math.random;
    const log = o.log ?? core/* info */.pq;
    let status = 'unchanged';
    let writes = 0;
    let lastError;
    for (let attempt = 1; attempt <= attempts; attempt++) {
        let release;
        try {
            release = await readRelease(octokit, r);
            if (release && holdsRows(release.body, r.layer, r.rows)) {
                if (writes === 0)
                    log(`Release ${r.tag} already lists these layer versions`);
                return {
                    url: release.html_url,
                    id: release.id,
                    uploadUrl: release.upload_url,
                    status,
                    writes
                };
            }
            const body = mergeReleaseBody(release?.body, r.changelog, r.layer, r.rows);
            if (!release) {
                try {
                    const { data } = await octokit.rest.repos.createRelease({
                        owner: r.owner,
                        repo: r.repo,
                        tag_name: r.tag,
                        name: r.tag,
                        body
                    });
                    release = data;
                    status = 'created';
                }
                catch (error) {
                    // another job created it between our read and our write: merge into theirs
                    if (isAlreadyExists(error)) {
                        log(`Release ${r.tag} was just created by another job: merging into it`);
                        continue;
                    }
                    throw error;
                }
            }
            else {
                const { data } = await octokit.rest.repos.updateRelease({
                    owner: r.owner,
                    repo: r.repo,
                    release_id: release.id,
                    body
                });
                release = data;
                if (status !== 'created')
                    status = 'updated';
            }
            writes++;
        }
        catch (error) {
            const code = statusOf(error);
            // 5xx and (secondary) rate limits pass; anything else (permissions, validation) does not
            const limited = code === 429 || (code === 403 && /rate limit/i.test((0,errors/* messageOf */.bD)(error)));
            if (code !== undefined && code < 500 && !limited) {
                throw explain(error, `write the GitHub Release ${r.tag} of ${r.owner}/${r.repo}`);
            }
            lastError = error;
            await sleep(verifyMs * (1 + random()));
            continue;
        }
        // a job that read before our write may write after it: read ours back after a while
        await sleep(verifyMs * (1 + random()));
        try {
            const check = await readRelease(octokit, r);
            if (check && holdsRows(check.body, r.layer, r.rows)) {
                log(`Release ${r.tag} ${status}: ${check.html_url} (${r.rows.length} row(s) for ${r.layer})`);
                return { url: check.html_url, id: check.id, uploadUrl: check.upload_url, status, writes };
            }
            log(`Release ${r.tag}: another job wrote over our rows; merging them in again`);
        }
        catch (error) {
            lastError = error;
        }
    }
    throw new errors/* LayerActionError */.Ic(`Could not keep this job's rows in the GitHub Release ${r.tag} after ${attempts} attempts` +
        (lastError ? `: ${(0,errors/* messageOf */.bD)(lastError)}` : ': other jobs kept writing over them') +
        '. Re-run the job: it merges its rows into the release again.');
}
/** The annotated tag's message as markdown: `Features:` lines become headings; HTML escaped. */
function tagMessageToMarkdown(message) {
    return (0,markdown/* escapeMarkdown */.FV)(message)
        .split('\n')
        .map(line => line.replace(/^([A-Z][A-Za-z ]+):$/, '### $1'))
        .join('\n')
        .trim();
}

;// CONCATENATED MODULE: ./src/release/github.ts
/** `github-release: true`: the run's tag and layer versions → the GitHub Release of the tag. */





/** The message of the annotated tag in this clone, '' when the tag is not here. */
async function tagMessage(git, tag) {
    if (!git)
        return '';
    const r = await git.exec(['for-each-ref', '--format=%(contents)', `refs/tags/${tag}`], {
        allowFailure: true
    });
    return r.exitCode === 0 ? r.stdout.trim() : '';
}
/**
 * Writes this job's rows into the release of the tag once the tag is on origin (pushed now, by
 * another job of the matrix, or an earlier run); skips, saying why, when there is no tag.
 */
async function releaseOnGitHub(r, o = {}) {
    const { tag } = r.tag;
    const tagged = r.tag.status === 'created' || r.tag.status === 'exists' || !r.release.newTag;
    if (!tagged || r.deliveries.length === 0) {
        const skipped = `no tag ${tag} on origin (${r.tag.reason ?? 'nothing published'})`;
        core/* info */.pq(`No GitHub Release: ${skipped}`);
        return { tag, skipped };
    }
    const repository = r.repository ?? process.env.GITHUB_REPOSITORY ?? '';
    const [owner, repo] = repository.split('/');
    if (!owner || !repo)
        throw new errors/* LayerActionError */.Ic(`github-release needs the repository (owner/name) from GITHUB_REPOSITORY, which is '${repository}': run the action in a GitHub Actions job`);
    const octokit = r.octokit ??
        (0,github.getOctokit)(r.token, {
            // read at call time: GitHub Enterprise Server sets it to https://HOST/api/v3
            baseUrl: r.apiUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com'
        });
    const message = (await tagMessage(r.git, tag)) || (0,changelog/* formatTagMessage */.v)(r.release);
    const outcome = await upsertRelease(octokit, {
        owner,
        repo,
        tag,
        changelog: tagMessageToMarkdown(message),
        layer: r.layerName,
        rows: r.deliveries.map(d => ({
            environment: r.environment,
            region: d.region,
            layerVersionArn: d.layerVersionArn
        }))
    }, o);
    return { tag, outcome };
}
/** The stage run() calls: this run's inputs, plan, tag and layer versions → releaseOnGitHub. */
function githubRelease(inputs, plan, tag, deliveries, o = {}) {
    return releaseOnGitHub({
        token: inputs.githubToken,
        environment: inputs.environment,
        layerName: inputs.publishedName,
        release: plan.release,
        tag,
        deliveries,
        git: plan.git
    }, o);
}


/***/ })

};
