/**
 * The environment for a pip that sees only what the test gives it: this machine's pip config (extra
 * index of a local mirror, constraints, find-links) would otherwise make tests test the machine.
 */
export function hermeticPipEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toUpperCase().startsWith('PIP_')) env[name] = value
  }
  return {
    ...env,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    ...extra
  }
}
