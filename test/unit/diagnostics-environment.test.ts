import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  detectContainer,
  detectWsl,
  isWindowsDrivePath,
  parseCgroupFile,
  parseCgroupLimit,
  parseLimits,
  readEnvironment,
  unitFromCgroupPath,
  watcherEnvVars,
} from '../../src/diagnostics/environment.js';
import { environmentChecks } from '../../src/diagnostics/environment-checks.js';
import { EnvironmentFactsSchema } from '../../src/diagnostics/report-schema.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/proc');
const read = (rel: string) => fs.readFileSync(path.join(FIX, rel), 'utf8');
const layout = (name: string, env: NodeJS.ProcessEnv = {}, pid = 4242) => {
  const base = path.join(FIX, 'env', name);
  return readEnvironment({ procDir: `${base}/proc`, sysCgroupDir: `${base}/sys/fs/cgroup`, fsRoot: `${base}/root`, env, pid });
};

describe('parseCgroupFile', () => {
  it('v1 hybrid (captured on this machine)', () => {
    const m = parseCgroupFile(read('cgroup/v1-hybrid-sandbox.txt'));
    expect(m.unified).toBe('/');
    expect(m.v1.memory).toMatch(/^\/process_api\//);
    expect(m.v1['name=systemd']).toBe('/');
  });
  it('v1 docker: comma-separated controllers', () => {
    const m = parseCgroupFile(read('cgroup/v1-docker.txt'));
    expect(m.v1.cpu).toBe(m.v1.cpuacct);
    expect(m.v1.pids).toMatch(/^\/docker\/4f2d/);
  });
  it('v2 only', () => {
    expect(parseCgroupFile(read('cgroup/v2-systemd-service.txt'))).toEqual({ unified: '/system.slice/hotwatch-dev.service', v1: {} });
    expect(parseCgroupFile('')).toEqual({ unified: undefined, v1: {} });
  });
});

describe('small parsers', () => {
  it('parseLimits reads soft/hard of each kernel layout', () => {
    expect(parseLimits(read('limits/linux-6.18-node.txt')).get('Max open files')).toEqual({ soft: 20000, hard: 20000 });
    expect(parseLimits(read('limits/systemd-low-nofile.txt')).get('Max open files')).toEqual({ soft: 256, hard: 4096 });
    expect(parseLimits(read('limits/unlimited-nofile.txt')).get('Max open files')).toEqual({ soft: 'unlimited', hard: 'unlimited' });
    expect(parseLimits(read('limits/linux-6.18-node.txt')).get('Max stack size')).toEqual({ soft: 8388608, hard: 'unlimited' });
  });
  it('parseCgroupLimit', () => {
    expect(parseCgroupLimit('max\n')).toBe('max');
    expect(parseCgroupLimit('128\n')).toBe(128);
    expect(parseCgroupLimit('9223372036854771712\n')).toBe('max');
    expect(parseCgroupLimit('')).toBeUndefined();
    expect(parseCgroupLimit(undefined)).toBeUndefined();
  });
  it('detectWsl on kernel releases', () => {
    expect(detectWsl(read('osrelease/wsl2.txt'))).toMatchObject({ detected: true, version: 2 });
    expect(detectWsl(read('osrelease/wsl1.txt'))).toMatchObject({ detected: true, version: 1 });
    expect(detectWsl(read('osrelease/linux-6.18.txt')).detected).toBe(false);
    expect(detectWsl(read('osrelease/ubuntu-24.04.txt')).detected).toBe(false);
    expect(detectWsl(undefined).detected).toBe(false);
  });
  it('isWindowsDrivePath', () => {
    expect(isWindowsDrivePath('/mnt/c/Users/dev/app')).toBe(true);
    expect(isWindowsDrivePath('/mnt/d')).toBe(true);
    expect(isWindowsDrivePath('/mnt/wsl/x')).toBe(false);
    expect(isWindowsDrivePath('/home/dev/app')).toBe(false);
  });
  it('unitFromCgroupPath', () => {
    expect(unitFromCgroupPath('/system.slice/hotwatch-dev.service')).toBe('hotwatch-dev.service');
    expect(unitFromCgroupPath('/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope')).toBe('x.scope');
    expect(unitFromCgroupPath('/')).toBeUndefined();
  });
  it('watcher environment variables', () => {
    const v = watcherEnvVars({ CHOKIDAR_USEPOLLING: 'false', WATCHPACK_POLLING: 'true', PATH: '/bin' });
    expect(v.map((x) => x.name)).toEqual(['CHOKIDAR_USEPOLLING', 'WATCHPACK_POLLING']);
  });
});

describe('detectContainer', () => {
  const none = { dockerenv: false, containerenv: undefined, cgroupText: '', env: {} };
  it.each([
    ['nothing', none, undefined],
    ['/.dockerenv', { ...none, dockerenv: true }, 'docker'],
    ['docker cgroup v1', { ...none, cgroupText: read('cgroup/v1-docker.txt') }, 'docker'],
    ['docker scope v2', { ...none, cgroupText: read('cgroup/v2-docker-host-ns.txt') }, 'docker'],
    ['podman', { ...none, containerenv: 'engine="podman-4.9"\n' }, 'podman'],
    ['podman cgroup', { ...none, cgroupText: read('cgroup/v2-podman-host.txt') }, 'podman'],
    ['kubernetes env', { ...none, dockerenv: true, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } }, 'kubernetes'],
    ['kubepods cgroup', { ...none, cgroupText: read('cgroup/v1-kubernetes.txt') }, 'kubernetes'],
    ['systemd-nspawn', { ...none, env: { container: 'systemd-nspawn' } }, 'systemd-nspawn'],
    ['plain systemd service', { ...none, cgroupText: read('cgroup/v2-systemd-service.txt') }, undefined],
  ])('%s → %s', (_n, input, kind) => {
    const r = detectContainer(input);
    expect(r.kind).toBe(kind);
    if (kind) expect(r.evidence.length).toBeGreaterThan(0);
  });
});

describe('readEnvironment on fixture layouts', () => {
  it('systemd v2 service with low limits: warns with systemd drop-ins', () => {
    const f = layout('systemd-v2-service', { INVOCATION_ID: 'abc', NOTIFY_SOCKET: '/run/systemd/notify' });
    expect(EnvironmentFactsSchema.parse(f)).toEqual(f);
    expect(f.cgroup).toEqual({
      version: '2',
      path: '/system.slice/hotwatch-dev.service',
      pidsMax: 128,
      pidsCurrent: 37,
      memoryMax: 536870912,
    });
    expect(f.systemd.unit).toBe('hotwatch-dev.service');
    expect(f.rlimitNofile).toEqual({ soft: 256, hard: 4096 });
    expect(f.container.kind).toBeUndefined();
    const checks = environmentChecks(f, '/srv/app');
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId['env.pids']!.status).toBe('warn');
    expect(byId['env.pids']!.fix!.files![0]).toEqual({
      path: '/etc/systemd/system/hotwatch-dev.service.d/60-hotwatch.conf',
      content: '[Service]\nTasksMax=4096\n',
    });
    expect(byId['env.memory']!.fix!.files![0]!.content).toBe('[Service]\nMemoryMax=2G\n');
    expect(byId['env.pids']!.fix!.commands).toEqual(['sudo systemctl daemon-reload', 'sudo systemctl restart hotwatch-dev.service']);
    // soft 256, hard 4096: node raises the soft limit to the hard one at start, so this is fine.
    expect(byId['env.nofile']!.status).toBe('ok');
    expect(byId['env.systemd']!.detail).toContain('NOTIFY_SOCKET');
  });

  it('a user unit (under user@1000.service): drop-in in ~/.config/systemd/user, systemctl --user', () => {
    const f = layout('systemd-v2-user-service', { INVOCATION_ID: 'abc' });
    expect(f.systemd.unit).toBe('hotwatch-dev.service');
    expect(f.rlimitNofile).toEqual({ soft: 512, hard: 512 });
    const byId = Object.fromEntries(environmentChecks(f, '/home/dev/app').map((c) => [c.id, c]));
    expect(byId['env.pids']!.fix!.files).toEqual([
      { path: '~/.config/systemd/user/hotwatch-dev.service.d/60-hotwatch.conf', content: '[Service]\nTasksMax=4096\n' },
    ]);
    expect(byId['env.pids']!.fix!.commands).toEqual(['systemctl --user daemon-reload', 'systemctl --user restart hotwatch-dev.service']);
    expect(byId['env.memory']!.fix!.files![0]!.path).toBe('~/.config/systemd/user/hotwatch-dev.service.d/60-hotwatch.conf');
    // A hard limit of 512: LimitNOFILE= in the user unit's drop-in, never `ulimit -n`.
    expect(byId['env.nofile']!.status).toBe('warn');
    expect(byId['env.nofile']!.fix!.files).toEqual([
      { path: '~/.config/systemd/user/hotwatch-dev.service.d/60-hotwatch.conf', content: '[Service]\nLimitNOFILE=65536\n' },
    ]);
    expect(byId['env.nofile']!.fix!.commands).toContain('systemctl --user daemon-reload');
  });

  it('a session scope: no [Service] drop-in, a new scope with the limits via systemd-run', () => {
    const f = layout('session-scope-v2');
    expect(f.cgroup).toMatchObject({ path: '/user.slice/user-1000.slice/session-3.scope', pidsMax: 200 });
    const pids = environmentChecks(f, '/home/dev/app').find((c) => c.id === 'env.pids')!;
    expect(pids.status).toBe('warn');
    expect(pids.fix!.files).toBeUndefined();
    expect(pids.fix!.text).toContain('session-3.scope is a scope');
    expect(pids.fix!.commands).toEqual(['systemd-run --user --scope -p TasksMax=4096 hotwatch run']);
  });

  it('a low hard open-files limit outside systemd and docker: a limits.d file for the user, not ulimit -n', () => {
    const f = { ...layout('session-scope-v2'), rlimitNofile: { soft: 512, hard: 512 } as const };
    const c = environmentChecks(f, '/home/dev/app', 'dev').find((x) => x.id === 'env.nofile')!;
    expect(c.status).toBe('warn');
    expect(c.fix!.text).toContain('hard limit');
    expect(c.fix!.files).toEqual([
      { path: '/etc/security/limits.d/60-hotwatch.conf', content: 'dev soft nofile 65536\ndev hard nofile 65536\n' },
    ]);
    expect(c.fix!.commands!.join('\n')).not.toContain('ulimit');
    const docker = environmentChecks({ ...f, container: { kind: 'docker', evidence: [] } }, '/app').find((x) => x.id === 'env.nofile')!;
    expect(docker.fix!.commands).toEqual(['docker run --ulimit nofile=65536:65536 ...']);
  });

  it('docker v1 as PID 1: the parent memory limit binds, --init advised', () => {
    const f = layout('docker-v1', {}, 1);
    expect(f.container.kind).toBe('docker');
    expect(f.cgroup).toMatchObject({ version: '1', pidsMax: 4096, pidsCurrent: 12, memoryMax: 2147483648 });
    expect(f.pid1).toBe(true);
    const checks = environmentChecks(f, '/app');
    const pid1 = checks.find((c) => c.id === 'env.pid1')!;
    expect(pid1.status).toBe('warn');
    expect(pid1.fix!.text).toContain('--init');
    expect(pid1.fix!.text).toContain('init: true');
    expect(checks.find((c) => c.id === 'env.pids')).toBeUndefined();
    expect(checks.find((c) => c.id === 'env.nofile')!.status).toBe('ok');
  });

  it('WSL2 with the repo on /mnt/c warns; on the Linux side it does not', () => {
    const f = layout('wsl2');
    expect(f.wsl).toMatchObject({ detected: true, version: 2 });
    expect(environmentChecks(f, '/mnt/c/Users/dev/app').find((c) => c.id === 'env.wsl')!.status).toBe('warn');
    expect(environmentChecks(f, '/home/dev/app').find((c) => c.id === 'env.wsl')!.status).toBe('info');
  });

  it('CHOKIDAR_USEPOLLING is information only: hotwatch hides it from its own poll backend', () => {
    for (const value of ['false', '0', 'true']) {
      const c = environmentChecks(layout('wsl2', { CHOKIDAR_USEPOLLING: value }), '/home/dev/app').find(
        (x) => x.id === 'env.watcher-vars',
      )!;
      expect(c.status).toBe('info');
      expect(c.detail).toContain(`CHOKIDAR_USEPOLLING=${value}: chokidar-based tools`);
      expect(c.fix).toBeUndefined();
    }
  });

  it('Kubernetes as PID 1: shareProcessNamespace (pause container reaps) or tini as the entrypoint', () => {
    const f = { ...layout('docker-v1', {}, 1), container: { kind: 'kubernetes', evidence: [] } };
    const c = environmentChecks(f, '/app').find((x) => x.id === 'env.pid1')!;
    expect(c.status).toBe('warn');
    expect(c.fix!.text).toContain(
      'set shareProcessNamespace: true in the pod spec (the pause container becomes PID 1 and reaps zombies):\nspec:\n  shareProcessNamespace: true\n',
    );
    expect(c.fix!.text).toMatch(/an init such as tini the container's entrypoint:\ncommand: \["tini", "--", "hotwatch", "run"\]$/);
    expect(c.fix!.text).not.toContain('docker run');
  });

  it('a missing /proc gives unknowns, never a throw', () => {
    const f = readEnvironment({ procDir: '/nonexistent/proc', sysCgroupDir: '/nonexistent/cg', fsRoot: '/nonexistent', env: {} });
    expect(f.kernel).toBe('unknown');
    expect(f.cgroup.version).toBe('unknown');
    expect(f.rlimitNofile).toBeUndefined();
    expect(environmentChecks(f, '/x').length).toBeGreaterThan(0);
  });
});

describe('real /proc of this machine', () => {
  it('reads sane facts', () => {
    const f = readEnvironment();
    expect(EnvironmentFactsSchema.parse(f)).toEqual(f);
    expect(f.kernel).toBe(fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    expect(f.pid).toBe(process.pid);
    expect(f.rlimitNofile?.soft).toBeGreaterThan(0);
    expect(f.cgroup.version).not.toBe('unknown');
  });
});
