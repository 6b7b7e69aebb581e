import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/settings.js';
import { filesystemChecks, fsTypeOfMagic, mountFacts, needsPolling, statfsType } from '../../src/diagnostics/filesystems.js';
import { mountContaining, parseMountInfo, readMounts } from '../../src/os/mounts.js';
import { makeTmpDir } from '../helpers/tmp.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/proc/mountinfo');
const mounts = (name: string) => parseMountInfo(fs.readFileSync(path.join(FIX, name), 'utf8'));
const watch = (root: string, cfg: ConfigInput = {}) =>
  resolveSettings(ConfigSchema.parse(cfg), { baseDir: root, configFile: undefined, isTTY: false }).watch;

describe('mountFacts + filesystemChecks: a compose dev container (/app bind-mounted)', () => {
  const w = watch('/app');
  const facts = mountFacts(w, mounts('compose-dev.txt'));
  const byPoint = Object.fromEntries(facts.map((f) => [f.mountPoint, f]));
  const checks = filesystemChecks(facts, w, undefined);
  const byId = Object.fromEntries(checks.map((c) => [c.id, c]));

  it('the root is a bind mount of a host ext4 directory: native', () => {
    expect(byPoint['/app']).toMatchObject({ fsType: 'ext4', bindRoot: '/home/dev/app', events: 'native', isRootMount: true });
    expect(byId['fs.root']!.status).toBe('ok');
    expect(byId['fs.root']!.detail).toContain('bind mount of /dev/sda1:/home/dev/app');
  });

  it('classifies every mount under the root', () => {
    expect(byPoint['/app/scratch']).toMatchObject({ fsType: 'tmpfs', events: 'skip', excluded: false });
    expect(byPoint['/app/tmp']).toMatchObject({ fsType: 'tmpfs', excluded: true });
    expect(byPoint['/app/shared']).toMatchObject({ fsType: 'nfs4', events: 'poll' });
    expect(byPoint['/app/remote']).toMatchObject({ fsType: 'fuse.sshfs', events: 'poll' });
    expect(byPoint['/app/proc view']).toMatchObject({ fsType: 'proc', events: 'skip' });
    expect(byPoint['/app/.cache/go']).toMatchObject({ fsType: 'ext4', events: 'native' });
    expect(facts.some((f) => f.mountPoint === '/proc' || f.mountPoint === '/')).toBe(false);
  });

  it('tmpfs inside the tree: warn with the includeMounts key; excluded mounts are info', () => {
    const c = byId['fs.mount:/app/scratch']!;
    expect(c.status).toBe('warn');
    expect(c.detail).toContain('tmpfs');
    expect(c.fix!.text).toContain('includeMounts: ["scratch"]');
    expect(byId['fs.mount:/app/tmp']!.status).toBe('info');
    expect(byId['fs.mount:/app/proc view']!.status).toBe('info');
  });

  it('remote mounts are polled: warn (degraded)', () => {
    expect(byId['fs.mount:/app/shared']!.status).toBe('warn');
    expect(byId['fs.mount:/app/shared']!.detail).toContain('polled');
    expect(needsPolling(facts, w)).toBe(true);
  });

  it('backend native on a remote mount says edits are missed and gives the config key', () => {
    const wn = watch('/app', { watch: { backend: 'native' } });
    const c = filesystemChecks(mountFacts(wn, mounts('compose-dev.txt')), wn, '/app/watcher.config.yaml').find(
      (x) => x.id === 'fs.mount:/app/remote',
    )!;
    expect(c.status).toBe('warn');
    expect(c.detail).toContain('missed');
    expect(c.fix!.text).toContain('backend: auto');
    expect(c.fix!.text).toContain('/app/watcher.config.yaml');
  });

  it('a mount listed in includeMounts is ok', () => {
    const wi = watch('/app', { watch: { includeMounts: ['scratch'] } });
    expect(
      filesystemChecks(mountFacts(wi, mounts('compose-dev.txt')), wi, undefined).find((x) => x.id === 'fs.mount:/app/scratch')!.status,
    ).toBe('ok');
  });
});

describe('WSL: the repo on /mnt/c', () => {
  it('the root filesystem is 9p: polled, degraded, with the move-the-repo fix', () => {
    const w = watch('/mnt/c/Users/dev/app');
    const facts = mountFacts(w, mounts('wsl-mnt-c.txt'));
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({ fsType: '9p', source: 'C:\\', events: 'poll', isRootMount: true });
    const c = filesystemChecks(facts, w, undefined)[0]!;
    expect(c.status).toBe('warn');
    expect(c.detail).toContain('9p');
    expect(c.fix!.text).toContain('local filesystem');
  });
  it('on the Linux side it is native', () => {
    const w = watch('/home/dev/app');
    expect(filesystemChecks(mountFacts(w, mounts('wsl-mnt-c.txt')), w, undefined)[0]!.status).toBe('ok');
  });
});

describe('edge cases', () => {
  it('backend poll: the root check warns (degraded) and suggests auto on a native fs', () => {
    const w = watch('/home/dev/app', { watch: { backend: 'poll' } });
    const c = filesystemChecks(mountFacts(w, mounts('wsl-mnt-c.txt')), w, undefined)[0]!;
    expect(c.status).toBe('warn');
    expect(c.fix!.text).toContain('backend: auto');
    expect(needsPolling([], w)).toBe(true);
  });
  it('no mount table and no statfs: one info check', () => {
    const w = watch('/Users/dev/app');
    const c = filesystemChecks(
      mountFacts(w, [], () => undefined),
      w,
      undefined,
    );
    expect(c).toEqual([expect.objectContaining({ id: 'fs.root', status: 'info' })]);
  });
  it('the real mount table of this machine classifies the root of a temp dir', () => {
    const w = watch(fs.realpathSync('/tmp'));
    const facts = mountFacts(w, readMounts());
    expect(facts.filter((f) => f.isRootMount)).toHaveLength(1);
  });
});

describe('statfs when mountinfo cannot say', () => {
  it('maps the magic numbers of linux/magic.h', () => {
    expect(fsTypeOfMagic(0xef53)).toBe('ext4');
    expect(fsTypeOfMagic(0x01021994)).toBe('tmpfs');
    expect(fsTypeOfMagic(0x6969)).toBe('nfs');
    expect(fsTypeOfMagic(0x01021997)).toBe('9p');
    expect(fsTypeOfMagic(0x65735546)).toBe('fuse');
    expect(fsTypeOfMagic(0xff534d42)).toBe('cifs');
    expect(fsTypeOfMagic(0xfe534d42)).toBe('smb3');
    expect(fsTypeOfMagic(0x794c7630)).toBe('overlay');
    expect(fsTypeOfMagic(0x9fa0)).toBe('proc');
    expect(fsTypeOfMagic(0x12345)).toBeUndefined();
  });

  it('no mount table: the root filesystem comes from statfs (NFS → polled, degraded)', () => {
    const w = watch('/srv/app');
    const facts = mountFacts(w, [], () => 0x6969);
    expect(facts).toEqual([expect.objectContaining({ fsType: 'nfs', events: 'poll', isRootMount: true, source: 'statfs' })]);
    const c = filesystemChecks(facts, w, undefined)[0]!;
    expect(c).toMatchObject({ id: 'fs.root', status: 'warn' });
    expect(c.detail).toContain('/srv/app is on nfs (from statfs');
    expect(needsPolling(facts, w)).toBe(true);
  });

  it('a mount table without the root (no "/" entry) falls back too; an unknown magic is shown in hex', () => {
    const table = mounts('compose-dev.txt').filter((m) => m.mountPoint !== '/');
    expect(mountFacts(watch('/srv/app'), table, () => 0x01021997)[0]).toMatchObject({ fsType: '9p', events: 'poll' });
    expect(mountFacts(watch('/srv/app'), table, () => 0x12345)[0]).toMatchObject({
      fsType: 'unknown (statfs f_type 0x12345)',
      events: 'native',
    });
  });

  it('on this machine, statfs of a temp dir names the same type as mountinfo', () => {
    const t = makeTmpDir();
    try {
      expect(statfsType(t.dir)).toBeTypeOf('number');
      const fromMountinfo = mountContaining(t.dir, readMounts())!.fsType;
      expect(mountFacts(watch(t.dir), [])[0]).toMatchObject({ fsType: fromMountinfo, source: 'statfs', isRootMount: true });
    } finally {
      t.cleanup();
    }
  });
});
