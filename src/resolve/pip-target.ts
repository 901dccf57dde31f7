/**
 * pip evaluates PEP 508 environment markers (`; python_version < "3.12"`, `; platform_machine ==
 * "aarch64"`) for the interpreter it runs on: `--python-version` and `--platform` choose wheel tags
 * and Requires-Python, never markers (pypa/pip#11198). So the pip command that resolves the layer
 * (`pip download -r`, pip.ts) starts through this bootstrap, which makes pip's vendored packaging
 * answer with the Lambda target's marker environment (src/runtimes.ts markerEnvironment) before
 * pip's own CLI runs. The others run plain `python -m pip` and resolve nothing for the layer:
 * `pip wheel --no-deps` and `pip download --no-deps` of one sdist (sources.ts), `pip config list`.
 *
 * Why this one function is enough (read in pip 23.2.1, 25.0, 26.2.1 and main, 2026-11):
 * `Marker.evaluate()` in pip/_vendor/packaging/markers.py starts from the module-global
 * `default_environment()`, looked up at call time; every marker pip evaluates goes through it —
 * requirement lines (req_install.match_markers), Requires-Dist of wheel metadata
 * (metadata/importlib/_dists.iter_dependencies, and pkg_resources, which uses the same vendored
 * packaging), extras. pip's own pylock.toml reader (pip ≥ 25.1) binds the name at import, but the
 * action never hands pip a lock. pip install before 24.2 also judges Requires-Python against the
 * running interpreter instead of --python-version (pypa/pip#12216, fixed in 24.2): the bootstrap
 * hands the target's version to RequirementCommand.make_resolver, as pip download always did.
 * A pip where this no longer holds fails loudly (exit code
 * BOOTSTRAP_FAILED, an ERROR line) instead of silently evaluating for the runner.
 */
import {
  markerEnvironment,
  type Architecture,
  type MarkerEnvironment,
  type Runtime
} from '../runtimes'

/** Carries the target marker environment (JSON) to the bootstrap. */
export const MARKER_ENVIRONMENT_VARIABLE = 'LAYER_ACTION_MARKER_ENVIRONMENT'

/** The bootstrap's exit code when it cannot patch this pip. */
export const BOOTSTRAP_FAILED = 86

/**
 * Python run with `python -c`, then pip's arguments; sys.argv[0] is `-c`, which pip's prog name
 * expects. It must never contain the text " -m pip ": pyenv's shims take that for a pip install and
 * rehash after it, which fails when two runs rehash at once (and installs --target need no shims).
 */
export const PIP_BOOTSTRAP = `
import json, os, sys
# python -c puts the working directory first on sys.path: a folder named pip there must not shadow pip (as pip's __main__ does)
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
# popped: the build tools pip installs in a subprocess run on the runner, so their markers are the runner's
target = json.loads(os.environ.pop("${MARKER_ENVIRONMENT_VARIABLE}"))

def fail(why):
    sys.stderr.write("ERROR: layer-action cannot make this pip evaluate environment markers for the Lambda target: %s. Use pip 23.2 to 26.x ('pip<27'), or report it to layer-action.\\n" % why)
    sys.exit(${BOOTSTRAP_FAILED})

try:
    import pip
    from pip._vendor.packaging import markers
    from pip._internal.cli.main import main
except ImportError as error:
    fail("pip or its vendored packaging cannot be imported (%s)" % error)
evaluate = getattr(getattr(markers, "Marker", None), "evaluate", None)
if not callable(getattr(markers, "default_environment", None)) or "default_environment" not in getattr(getattr(evaluate, "__code__", None), "co_names", ()):
    fail("pip %s no longer takes markers from pip._vendor.packaging.markers.default_environment()" % pip.__version__)
markers.default_environment = lambda: dict(target)
# pip install before 24.2 judges Requires-Python against the running interpreter, not --python-version
# (pypa/pip#12216): hand the target's version to the resolver as pip download and pip >= 24.2 do
try:
    from pip._internal.cli.req_command import RequirementCommand
    _make_resolver = RequirementCommand.make_resolver.__func__
    def _make_resolver_for_target(cls, *args, **kwargs):
        options = kwargs.get("options", args[2] if len(args) > 2 else None)
        if kwargs.get("py_version_info") is None and getattr(options, "python_version", None):
            kwargs["py_version_info"] = options.python_version
        return _make_resolver(cls, *args, **kwargs)
    RequirementCommand.make_resolver = classmethod(_make_resolver_for_target)
except (ImportError, AttributeError) as error:
    fail("pip %s has no RequirementCommand.make_resolver to hand the target's Python to (%s)" % (pip.__version__, error))
probe = " and ".join('%s == "%s"' % (name, value) for name, value in sorted(target.items()) if value)
if not markers.Marker(probe).evaluate():
    fail("pip %s still evaluates markers for the runner after the patch" % pip.__version__)
sys.exit(main(sys.argv[1:]))
`

/** The interpreter arguments and environment that run pip with markers evaluated for the target. */
export function pipForTarget(
  runtime: Runtime,
  architecture: Architecture,
  pipArgs: readonly string[]
): { argv: string[]; env: Record<string, string> } {
  return {
    argv: ['-c', PIP_BOOTSTRAP, ...pipArgs],
    env: { [MARKER_ENVIRONMENT_VARIABLE]: JSON.stringify(markerEnvironment(runtime, architecture)) }
  }
}

/** For the log: `python3.12 on aarch64: python_full_version 3.12.12, platform_machine aarch64, …` */
export function describeMarkerEnvironment(runtime: Runtime, architecture: Architecture): string {
  const env: MarkerEnvironment = markerEnvironment(runtime, architecture)
  const shown: (keyof MarkerEnvironment)[] = [
    'python_version',
    'python_full_version',
    'platform_machine',
    'sys_platform',
    'platform_system',
    'os_name',
    'implementation_name',
    'platform_python_implementation'
  ]
  return `${runtime.identifier} on ${env.platform_machine}: ${shown.map(k => `${k} ${env[k]}`).join(', ')}`
}
