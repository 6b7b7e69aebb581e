import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyFs,
  mountContaining,
  mountsUnder,
  parseMountInfo,
  parseMountInfoLine,
  readMounts,
  unescapeMountField,
} from '../../src/os/mounts.js';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/mountinfo', name), 'utf8');

describe('parseMountInfo', () => {
  it('parses every line of each captured sample', () => {
    for (const name of fs.readdirSync(path.join(import.meta.dirname, '../fixtures/mountinfo'))) {
      const text = fixture(name);
      const lines = text.split('\n').filter((l) => l.trim());
      expect(parseMountInfo(text), name).toHaveLength(lines.length);
    }
  });

  it('splits the fields, optional fields and super options', () => {
    const e = parseMountInfoLine('562 489 0:52 / / rw,relatime master:247 shared:3 - overlay overlay rw,lowerdir=/a:/b,upperdir=/u');
    expect(e).toEqual({
      mountId: 562,
      parentId: 489,
      majorMinor: '0:52',
      root: '/',
      mountPoint: '/',
      mountOptions: ['rw', 'relatime'],
      optionalFields: ['master:247', 'shared:3'],
      fsType: 'overlay',
      source: 'overlay',
      superOptions: ['rw', 'lowerdir=/a:/b', 'upperdir=/u'],
    });
  });

  it('decodes octal escapes in paths and source', () => {
    expect(unescapeMountField('/a\\040b\\011c\\012d\\134e')).toBe('/a b\tc\nd\\e');
    const mounts = parseMountInfo(fixture('wsl2.txt'));
    const spaced = mounts.find((m) => m.mountId === 90);
    expect(spaced?.mountPoint).toBe('/mnt/c/My Projects');
    expect(spaced?.root).toBe('/Users/dev/My Projects');
    expect(mounts.find((m) => m.mountId === 88)?.source).toBe('C:\\');
  });

  it('skips malformed lines instead of throwing', () => {
    expect(parseMountInfo('garbage\n1 2 3\n\n27 1 254:0 / / rw - ext4 /dev/vda rw\n')).toHaveLength(1);
    expect(parseMountInfoLine('27 1 254:0 / / rw ext4 /dev/vda rw')).toBeUndefined();
  });

  it('reads this machine (or [] without /proc)', () => {
    const mounts = readMounts();
    if (fs.existsSync('/proc/self/mountinfo')) expect(mounts.some((m) => m.mountPoint === '/')).toBe(true);
    expect(readMounts('/nonexistent/mountinfo')).toEqual([]);
  });
});

describe('mountsUnder / mountContaining', () => {
  const docker = parseMountInfo(fixture('docker-overlay-bind.txt'));

  it('lists mounts at or under a root, including same-fs bind mounts', () => {
    expect(mountsUnder('/app', docker).map((m) => [m.mountPoint, m.fsType])).toEqual([
      ['/app', 'ext4'],
      ['/app/.cache/go-build', 'ext4'],
      ['/app/tmp', 'tmpfs'],
      ['/app/node_modules', 'overlay'],
    ]);
    expect(mountsUnder('/ap', docker)).toEqual([]);
  });

  it('keeps only the visible mount where mounts stack on one point', () => {
    const stacked = parseMountInfo(
      '27 1 254:0 / / rw - ext4 /dev/vda rw\n50 27 0:40 / /w/src rw - ext4 /dev/vda rw\n51 50 0:41 / /w/src rw - tmpfs none rw\n',
    );
    expect(mountsUnder('/w', stacked).map((m) => m.mountId)).toEqual([51]);
    expect(mountContaining('/w/src/a.go', stacked)?.mountId).toBe(51);
  });

  it('finds the mount holding a path', () => {
    expect(mountContaining('/app/tmp/x', docker)?.fsType).toBe('tmpfs');
    expect(mountContaining('/app/main.go', docker)?.mountId).toBe(570);
    expect(mountContaining('/etc/passwd', docker)?.mountId).toBe(562);
    const wsl = parseMountInfo(fixture('wsl2.txt'));
    expect(mountContaining('/mnt/c/Users/dev/go/src', wsl)?.fsType).toBe('9p');
  });
});

describe('classifyFs', () => {
  it.each([
    ['ext4', 'native'],
    ['xfs', 'native'],
    ['btrfs', 'native'],
    ['zfs', 'native'],
    ['overlay', 'native'],
    ['fuseblk', 'native'],
    ['tmpfs', 'skip'],
    ['ramfs', 'skip'],
    ['proc', 'skip'],
    ['sysfs', 'skip'],
    ['devpts', 'skip'],
    ['cgroup', 'skip'],
    ['cgroup2', 'skip'],
    ['debugfs', 'skip'],
    ['9p', 'poll'],
    ['virtiofs', 'poll'],
    ['fuse.grpcfuse', 'poll'],
    ['fakeowner', 'poll'],
    ['fuse.sshfs', 'poll'],
    ['nfs', 'poll'],
    ['nfs4', 'poll'],
    ['cifs', 'poll'],
    ['smb3', 'poll'],
    ['vboxsf', 'poll'],
    ['drvfs', 'poll'],
  ] as const)('%s → %s', (fsType, events) => {
    const c = classifyFs(fsType);
    expect(c.events).toBe(events);
    expect(c.reason).toContain(fsType);
  });

  it('says why remote mounts are polled', () => {
    expect(classifyFs('9p').reason).toContain('changes made on the other side of this mount do not produce inotify events');
  });

  it('classifies every mount in the Docker Desktop sample', () => {
    const dd = parseMountInfo(fixture('docker-desktop.txt'));
    const polled = dd.filter((m) => classifyFs(m.fsType).events === 'poll').map((m) => m.mountPoint);
    expect(polled).toEqual(['/go/src/api', '/srv/web', '/srv/docs', '/srv/remote', '/srv/nfs', '/srv/smb', '/srv/vbox']);
  });
});
