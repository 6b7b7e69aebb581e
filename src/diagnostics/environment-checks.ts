/**
 * Checks derived from the environment facts: container, WSL, PID 1, systemd/cgroup limits, open-files
 * limit, watcher environment variables. Pure: facts in, checks out.
 */
import type { Check, EnvironmentFacts } from './report-schema.js';
import { isWindowsDrivePath, unitFromCgroupPath } from './environment.js';
import { isUserManagerPath, limitsFix, systemdDropInFix } from './fixes.js';

/** Below this many tasks (threads count) a go build plus the app can hit the cgroup limit. */
export const MIN_PIDS = 512;
/** Below this a go build of a real module risks the OOM killer. */
export const MIN_MEMORY = 1024 * 1024 * 1024;
/** Below this RLIMIT_NOFILE (hard: node raises the soft limit to it) the app and polling can run out of fds. */
export const MIN_NOFILE = 1024;

const fmtBytes = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`);

function containerCheck(f: EnvironmentFacts): Check {
  const c = f.container;
  if (!c.kind) return { id: 'env.container', title: 'Container', status: 'info', detail: 'not in a container (no marker found)' };
  return {
    id: 'env.container',
    title: 'Container',
    status: 'info',
    detail: `${c.kind} (${c.evidence.join('; ')}). Edits made on the host through a bind mount reach inotify in the container; edits through other mounts (e.g. Docker Desktop file sharing, 9p, virtiofs) may not: see the filesystem checks.`,
  };
}

function pid1Check(f: EnvironmentFacts): Check {
  if (!f.pid1) {
    return { id: 'env.pid1', title: 'Init process', status: 'ok', detail: `hotwatch runs as pid ${f.pid}, not as PID 1` };
  }
  const k8s = f.container.kind === 'kubernetes';
  return {
    id: 'env.pid1',
    title: 'Init process',
    status: 'warn',
    detail:
      'hotwatch runs as PID 1: orphaned grandchildren of the app (and of go build) become zombies that nothing reaps, and SIGTERM has no default action for PID 1.',
    fix: k8s
      ? {
          text:
            'Let an init be PID 1: set shareProcessNamespace: true in the pod spec (the pause container becomes PID 1 and reaps zombies):\n' +
            'spec:\n  shareProcessNamespace: true\n' +
            "or make an init such as tini the container's entrypoint:\n" +
            'command: ["tini", "--", "hotwatch", "run"]',
        }
      : {
          text: 'Run an init as PID 1: `docker run --init ...`, or in compose.yaml:\nservices:\n  app:\n    init: true',
          commands: ['docker run --init ...'],
        },
  };
}

function wslCheck(f: EnvironmentFacts, root: string): Check | undefined {
  if (!f.wsl.detected) return undefined;
  const onWindows = isWindowsDrivePath(root);
  return {
    id: 'env.wsl',
    title: 'WSL',
    status: onWindows ? 'warn' : 'info',
    detail: onWindows
      ? `WSL${f.wsl.version ?? ''} with the repository on a Windows drive (${root}): edits made by Windows programs produce no inotify events there, so it is polled (slow).`
      : `WSL${f.wsl.version ?? ''}; the repository is on the Linux filesystem, where inotify works.`,
    fix: onWindows
      ? {
          text: 'Move the repository into the Linux filesystem (e.g. ~/src) and open it from Windows as \\\\wsl$\\<distro>\\home\\<you>\\src.',
          commands: [`mkdir -p ~/src && cp -a '${root}' ~/src/`],
        }
      : undefined,
  };
}

/** The unit whose limits apply (from INVOCATION_ID's unit, else the cgroup path) and whether it is a user unit. */
function unitOf(f: EnvironmentFacts): { unit: string; user: boolean } {
  const path = f.cgroup.path;
  return { unit: f.systemd.unit ?? unitFromCgroupPath(path) ?? 'hotwatch.service', user: isUserManagerPath(path) };
}

function systemdCheck(f: EnvironmentFacts): Check[] {
  const out: Check[] = [];
  const s = f.systemd;
  const { unit, user } = unitOf(f);
  const under = s.invocationId !== undefined;
  const limits: string[] = [];
  const cg = f.cgroup;
  if (cg.pidsMax !== undefined) limits.push(`pids.max ${cg.pidsMax}${cg.pidsCurrent !== undefined ? ` (in use ${cg.pidsCurrent})` : ''}`);
  if (cg.memoryMax !== undefined) limits.push(`memory.max ${cg.memoryMax === 'max' ? 'max' : fmtBytes(cg.memoryMax)}`);
  out.push({
    id: 'env.systemd',
    title: 'systemd and cgroup',
    status: 'info',
    detail: `${under ? `under systemd (unit ${s.unit ?? 'unknown'}, INVOCATION_ID set${s.notifySocket ? ', NOTIFY_SOCKET set' : ''})` : 'not started by systemd'}; cgroup v${cg.version}${cg.path ? ` ${cg.path}` : ''}${limits.length ? `: ${limits.join(', ')}` : ''}`,
  });
  const inDocker = f.container.kind === 'docker' || f.container.kind === 'podman';
  if (typeof cg.pidsMax === 'number' && cg.pidsMax < MIN_PIDS) {
    out.push({
      id: 'env.pids',
      title: 'Task limit (cgroup pids.max)',
      status: 'warn',
      detail: `pids.max is ${cg.pidsMax}: go build (threads count as tasks) plus the app can hit it and fail with "resource temporarily unavailable".`,
      fix: inDocker
        ? {
            text: 'Raise the container task limit: `docker run --pids-limit 4096`, or `pids_limit: 4096` in compose.yaml.',
            commands: ['docker run --pids-limit 4096 ...'],
          }
        : systemdDropInFix(`Raise the task limit of ${unit}.`, unit, { TasksMax: '4096' }, user),
    });
  }
  if (typeof cg.memoryMax === 'number' && cg.memoryMax < MIN_MEMORY) {
    out.push({
      id: 'env.memory',
      title: 'Memory limit (cgroup memory.max)',
      status: 'warn',
      detail: `memory.max is ${fmtBytes(cg.memoryMax)}: go build of a real module can exceed it and be OOM-killed (the build then fails with "signal: killed").`,
      fix: inDocker
        ? {
            text: 'Give the container more memory: `docker run --memory 2g`, or `mem_limit: 2g` in compose.yaml.',
            commands: ['docker run --memory 2g ...'],
          }
        : systemdDropInFix(`Raise the memory limit of ${unit}.`, unit, { MemoryMax: '2G' }, user),
    });
  }
  return out;
}

function nofileCheck(f: EnvironmentFacts, user: string): Check {
  const r = f.rlimitNofile;
  if (!r) return { id: 'env.nofile', title: 'Open files limit', status: 'info', detail: 'unknown (no /proc/self/limits)' };
  const detail = `RLIMIT_NOFILE soft ${r.soft}, hard ${r.hard}`;
  // Node raises the soft limit to the hard one at start (so do go build and the app, which inherit it):
  // only the hard limit binds, and `ulimit -n` cannot go above it.
  if (r.hard === 'unlimited' || r.hard >= MIN_NOFILE) return { id: 'env.nofile', title: 'Open files limit', status: 'ok', detail };
  const { unit, user: userUnit } = unitOf(f);
  const inDocker = f.container.kind === 'docker' || f.container.kind === 'podman';
  const text = 'Raise the hard limit (node already raises the soft limit to it, so `ulimit -n` cannot help):';
  return {
    id: 'env.nofile',
    title: 'Open files limit',
    status: 'warn',
    detail: `${detail}: the app and go build can fail with EMFILE "too many open files".`,
    fix: inDocker
      ? {
          text: `${text} \`docker run --ulimit nofile=65536:65536\`, or \`ulimits: { nofile: 65536 }\` in compose.yaml.`,
          commands: ['docker run --ulimit nofile=65536:65536 ...'],
        }
      : f.systemd.invocationId
        ? systemdDropInFix(`${text} LimitNOFILE= for ${unit}.`, unit, { LimitNOFILE: '65536' }, userUnit)
        : limitsFix(
            `${text} a limits.d file, applied at your next login (or LimitNOFILE= in the systemd unit, --ulimit nofile=65536:65536 for docker run).`,
            user,
            65536,
          ),
  };
}

function watcherEnvCheck(f: EnvironmentFacts): Check {
  const vars = f.watcherEnv;
  if (vars.length === 0) {
    return {
      id: 'env.watcher-vars',
      title: 'Watcher environment variables',
      status: 'ok',
      detail: 'none set (CHOKIDAR_USEPOLLING, CHOKIDAR_INTERVAL, WATCHPACK_POLLING, ...)',
    };
  }
  const detail = vars.map((v) => `${v.name}=${v.value}: ${v.effect}`).join('\n');
  // Information only: hotwatch's poll backend hides the CHOKIDAR_* variables from chokidar (poll.ts).
  return { id: 'env.watcher-vars', title: 'Watcher environment variables', status: 'info', detail };
}

/**
 * All environment checks. `user`: the login name for a limits.d line (default "*": every user but root).
 */
export function environmentChecks(f: EnvironmentFacts, root: string, user = '*'): Check[] {
  const out: Check[] = [containerCheck(f), pid1Check(f)];
  const wsl = wslCheck(f, root);
  if (wsl) out.push(wsl);
  out.push(...systemdCheck(f), nofileCheck(f, user), watcherEnvCheck(f));
  return out;
}
