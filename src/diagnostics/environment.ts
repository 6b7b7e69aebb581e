/**
 * Where hotwatch runs: container, WSL, PID 1, systemd and its cgroup limits, the open-files limit and
 * the environment variables that change how watchers behave. The parsers are pure (tested on captured
 * files); readEnvironment() reads the real /proc and /sys and never throws (unknown stays undefined).
 */
import fs from 'node:fs';
import type { EnvironmentFacts } from './report-schema.js';

export interface CgroupMembership {
  /** cgroup v2 path ("0::/path" line), if any. */
  unified: string | undefined;
  /** cgroup v1 paths by controller ("4:memory:/path"). */
  v1: Record<string, string>;
}

/** Parse /proc/<pid>/cgroup. Pure. */
export function parseCgroupFile(text: string): CgroupMembership {
  const out: CgroupMembership = { unified: undefined, v1: {} };
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers, p] = m as unknown as [string, string, string, string];
    if (id === '0' && controllers === '') out.unified = p;
    else for (const c of controllers.split(',')) if (c) out.v1[c] = p;
  }
  return out;
}

export interface RlimitPair {
  soft: number | 'unlimited';
  hard: number | 'unlimited';
}

/** Parse /proc/<pid>/limits into a map "Max open files" → {soft, hard}. Pure. */
export function parseLimits(text: string): Map<string, RlimitPair> {
  const out = new Map<string, RlimitPair>();
  const val = (s: string): number | 'unlimited' => (s === 'unlimited' ? 'unlimited' : Number(s));
  for (const line of text.split('\n')) {
    const m = /^(Max [A-Za-z ]+?)\s{2,}(unlimited|\d+)\s+(unlimited|\d+)/.exec(line);
    if (m) out.set(m[1]!, { soft: val(m[2]!), hard: val(m[3]!) });
  }
  return out;
}

/** A cgroup limit file ("max", a number, or v1's "no limit" sentinel near 2^63). Pure. */
export function parseCgroupLimit(text: string | undefined): number | 'max' | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'max') return 'max';
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 2 ** 62 ? 'max' : n; // v1 memory.limit_in_bytes "unlimited" is 9223372036854771712
}

export interface ContainerInputs {
  dockerenv: boolean;
  /** Content of /run/.containerenv (Podman), undefined when absent. */
  containerenv: string | undefined;
  cgroupText: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** Which container runtime, with the evidence. Pure. */
export function detectContainer(i: ContainerInputs): { kind: string | undefined; evidence: string[] } {
  const evidence: string[] = [];
  let kind: string | undefined;
  const set = (k: string, why: string) => {
    kind ??= k;
    evidence.push(why);
  };
  if (i.env.KUBERNETES_SERVICE_HOST) set('kubernetes', 'KUBERNETES_SERVICE_HOST is set');
  if (i.containerenv !== undefined) set('podman', '/run/.containerenv exists');
  if (i.env.container === 'podman') set('podman', 'container=podman');
  if (i.dockerenv) set('docker', '/.dockerenv exists');
  const cg = i.cgroupText ?? '';
  if (/\/kubepods/.test(cg)) set('kubernetes', 'cgroup path contains kubepods');
  if (/\/docker[-/]|docker-[0-9a-f]{12,}\.scope/.test(cg)) set('docker', 'cgroup path contains docker');
  if (/\/libpod-|\/machine\.slice\/libpod/.test(cg)) set('podman', 'cgroup path contains libpod');
  if (/\/lxc(\.payload)?[./]/.test(cg)) set('lxc', 'cgroup path contains lxc');
  if (i.env.container && !kind) set(i.env.container, `container=${i.env.container}`);
  return { kind, evidence };
}

/** WSL from /proc/sys/kernel/osrelease (and /proc/version). Pure. */
export function detectWsl(
  osrelease: string | undefined,
  procVersion?: string,
): { detected: boolean; version?: number; evidence: string[] } {
  const text = `${osrelease ?? ''} ${procVersion ?? ''}`;
  if (!/microsoft|wsl/i.test(text)) return { detected: false, evidence: [] };
  // WSL2 kernels say "microsoft-standard-WSL2"; WSL1 says "4.4.0-19041-Microsoft".
  const version = /wsl2|microsoft-standard/i.test(text) ? 2 : 1;
  return { detected: true, version, evidence: [`kernel release "${(osrelease ?? '').trim()}"`] };
}

/** A Windows drive mounted in WSL (/mnt/c/...): edits from Windows produce no inotify events. Pure. */
export function isWindowsDrivePath(p: string): boolean {
  return /^\/mnt\/[a-z](\/|$)/i.test(p);
}

/** Environment variables that change how watchers (ours or the tools around us) behave. Pure. */
export function watcherEnvVars(env: NodeJS.ProcessEnv): { name: string; value: string; effect: string }[] {
  const known: [string, string][] = [
    [
      'CHOKIDAR_USEPOLLING',
      'chokidar-based tools (webpack, Vite, nodemon...) poll or stop polling; hotwatch hides it from its own poll backend (choose with watch.backend)',
    ],
    ['CHOKIDAR_INTERVAL', "chokidar-based tools' polling interval in ms; hotwatch uses watch.pollInterval instead"],
    ['WATCHPACK_POLLING', 'webpack/Next.js poll instead of inotify (not used by hotwatch; a sign this machine needed polling before)'],
    ['TSC_WATCHFILE', 'TypeScript watch strategy (not used by hotwatch)'],
    ['TSC_WATCHDIRECTORY', 'TypeScript watch strategy (not used by hotwatch)'],
    ['UV_THREADPOOL_SIZE', "libuv thread pool size: affects fs calls of hotwatch's scan and polling"],
    ['NODE_OPTIONS', 'options applied to every node process, including hotwatch'],
  ];
  const out: { name: string; value: string; effect: string }[] = [];
  for (const [name, effect] of known) {
    const value = env[name];
    if (value !== undefined) out.push({ name, value, effect });
  }
  return out;
}

/** The systemd unit from a cgroup path (".../foo.service" or ".../bar.scope"). Pure. */
export function unitFromCgroupPath(p: string | undefined): string | undefined {
  if (!p) return undefined;
  const parts = p.split('/').filter(Boolean).reverse();
  return parts.find((s) => /\.(service|scope)$/.test(s));
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function exists(file: string): boolean {
  try {
    fs.accessSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The tightest limit along a cgroup path (a parent's limit binds its children). */
function tightest(base: string, cgPath: string, file: string): number | 'max' | undefined {
  const parts = cgPath.split('/').filter(Boolean);
  let best: number | 'max' | undefined;
  for (let i = parts.length; i >= 0; i--) {
    const dir = [base, ...parts.slice(0, i)].join('/');
    const v = parseCgroupLimit(readText(`${dir}/${file}`));
    if (v === undefined) continue;
    if (best === undefined || best === 'max' || (v !== 'max' && v < best)) best = v;
  }
  return best;
}

export interface EnvironmentOptions {
  procDir?: string;
  sysCgroupDir?: string;
  fsRoot?: string;
  env?: NodeJS.ProcessEnv;
  pid?: number;
}

/** The cgroup (v2, or v1's pids and memory controllers) this process is in, with its tightest limits. */
function cgroupFacts(membership: ReturnType<typeof parseCgroupFile> | undefined, cgBase: string): EnvironmentFacts['cgroup'] {
  if (!membership) return { version: 'unknown' };
  if (exists(`${cgBase}/cgroup.controllers`) && membership.unified !== undefined) {
    const p = membership.unified;
    const cur = parseCgroupLimit(readText(`${cgBase}${p}/pids.current`));
    return {
      version: '2',
      path: p,
      pidsMax: tightest(cgBase, p, 'pids.max'),
      pidsCurrent: typeof cur === 'number' ? cur : undefined,
      memoryMax: tightest(cgBase, p, 'memory.max'),
    };
  }
  if (Object.keys(membership.v1).length === 0) return { version: 'unknown' };
  const pidsPath = membership.v1.pids;
  const memPath = membership.v1.memory;
  const cur = pidsPath === undefined ? undefined : parseCgroupLimit(readText(`${cgBase}/pids${pidsPath}/pids.current`));
  return {
    version: '1',
    path: membership.v1['name=systemd'] ?? pidsPath ?? memPath,
    pidsMax: pidsPath === undefined ? undefined : tightest(`${cgBase}/pids`, pidsPath, 'pids.max'),
    pidsCurrent: typeof cur === 'number' ? cur : undefined,
    memoryMax: memPath === undefined ? undefined : tightest(`${cgBase}/memory`, memPath, 'memory.limit_in_bytes'),
  };
}

/** Read the environment facts from the real system. Never throws. */
export function readEnvironment(opts: EnvironmentOptions = {}): EnvironmentFacts {
  const proc = opts.procDir ?? '/proc';
  const cgBase = opts.sysCgroupDir ?? '/sys/fs/cgroup';
  const fsRoot = opts.fsRoot ?? '';
  const env = opts.env ?? process.env;
  const cgroupText = readText(`${proc}/self/cgroup`);
  const osrelease = readText(`${proc}/sys/kernel/osrelease`);
  const membership = cgroupText === undefined ? undefined : parseCgroupFile(cgroupText);

  const cgroup = cgroupFacts(membership, cgBase);

  const limitsText = readText(`${proc}/self/limits`);
  const nofile = limitsText === undefined ? undefined : parseLimits(limitsText).get('Max open files');
  const pid = opts.pid ?? process.pid;
  return {
    platform: process.platform,
    kernel: osrelease?.trim() || 'unknown',
    container: detectContainer({
      dockerenv: exists(`${fsRoot}/.dockerenv`),
      containerenv: readText(`${fsRoot}/run/.containerenv`),
      cgroupText,
      env,
    }),
    wsl: detectWsl(osrelease, readText(`${proc}/version`)),
    pid,
    pid1: pid === 1,
    systemd: {
      invocationId: env.INVOCATION_ID,
      notifySocket: env.NOTIFY_SOCKET,
      unit: env.INVOCATION_ID ? unitFromCgroupPath(cgroup.path ?? membership?.unified) : undefined,
    },
    cgroup,
    rlimitNofile: nofile,
    watcherEnv: watcherEnvVars(env),
  };
}
