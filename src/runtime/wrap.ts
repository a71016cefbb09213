// `ipper runtime`: what the Docker runtime wrapper changes, as pure functions. Like NVIDIA's
// wrapper, it edits <bundle>/config.json only for a bare `create` and passes everything to runc.

/** runc's global options that take a value (`--root X` or `--root=X`). */
const GLOBAL_WITH_VALUE = new Set(['--log', '--log-format', '--root', '--criu', '--rootless']);
/** `runc create` options that take a value. */
const CREATE_WITH_VALUE = new Set(['--bundle', '-b', '--console-socket', '--pid-file', '--preserve-fds']);

export interface RuntimeCall {
  subcommand: string | undefined;
  /** The bundle directory of a `create`, else undefined. */
  bundle: string | undefined;
  /** Extra file descriptors (3, 4, …) that runc must inherit (`--preserve-fds N`). */
  preserveFds: number;
}

function optionName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
}

export function parseRuntimeCall(argv: readonly string[], cwd: string): RuntimeCall {
  let index = 0;
  while (index < argv.length && argv[index]!.startsWith('-')) {
    const arg = argv[index]!;
    index += GLOBAL_WITH_VALUE.has(arg) ? 2 : 1;
  }
  const subcommand = argv[index];
  if (subcommand !== 'create') return { subcommand, bundle: undefined, preserveFds: 0 };
  let bundle = cwd;
  let preserveFds = 0;
  for (let i = index + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = optionName(arg);
    if (!CREATE_WITH_VALUE.has(name)) continue;
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
    if (value === undefined) break;
    if (name === '--bundle' || name === '-b') bundle = value;
    if (name === '--preserve-fds') preserveFds = Math.max(0, Math.min(1024, Number.parseInt(value, 10) || 0));
  }
  return { subcommand, bundle: bundle.startsWith('/') ? bundle : `${cwd}/${bundle}`, preserveFds };
}

interface OciSpec {
  process?: { env?: string[] };
  linux?: { namespaces?: { type?: string; path?: string }[] };
  hooks?: Record<string, { path?: string; args?: string[]; env?: string[] }[] | undefined>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Container environment variables that carry per-container settings from `docker run -e`. */
export const ENV_TO_ANNOTATION: Readonly<Record<string, string>> = {
  IPPER_BRIDGE: 'ipper.bridge',
  IPPER_MAC: 'ipper.mac',
  IPPER_HOSTNAME: 'ipper.hostname',
  IPPER_IPV4: 'ipper.ipv4',
  IPPER_IPV6: 'ipper.ipv6',
  IPPER_CLIENT_ID: 'ipper.clientId',
};

export type InjectResult = { changed: true; spec: OciSpec } | { changed: false; reason: string };

/**
 * Adds ipper's createRuntime and poststop hooks to a container that gets a new, empty network
 * namespace (`--network none`). Any other container is left untouched, with the reason: one in
 * Docker's own network (its namespace has a path) or in the host's (no network namespace).
 */
export function injectHooks(spec: OciSpec, hookPath: string, hookEnv: readonly string[]): InjectResult {
  const network = spec.linux?.namespaces?.find((namespace) => namespace.type === 'network');
  if (network === undefined) return { changed: false, reason: 'the container uses the host network' };
  if (network.path !== undefined && network.path !== '') return { changed: false, reason: `the container joins network namespace ${network.path}: not started with --network none` };
  const hooks = { ...spec.hooks };
  if ([...(hooks['createRuntime'] ?? [])].some((hook) => hook.path === hookPath)) return { changed: false, reason: 'ipper hooks already present' };
  const entry = (stage: string) => ({ path: hookPath, args: ['ipper', 'hook', stage], ...(hookEnv.length > 0 && { env: [...hookEnv] }) });
  hooks['createRuntime'] = [...(hooks['createRuntime'] ?? []), entry('createRuntime')];
  hooks['poststop'] = [...(hooks['poststop'] ?? []), entry('poststop')];
  const annotations = { ...spec.annotations };
  for (const variable of spec.process?.env ?? []) {
    const eq = variable.indexOf('=');
    const annotation = ENV_TO_ANNOTATION[variable.slice(0, eq)];
    if (eq > 0 && annotation !== undefined && annotations[annotation] === undefined) annotations[annotation] = variable.slice(eq + 1);
  }
  return { changed: true, spec: { ...spec, hooks, annotations } };
}
