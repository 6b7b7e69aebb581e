/** Mounts placed over (or removed from) watched directories: the pure mountinfo diff. */
import { describe, expect, it } from 'vitest';
import { diffMounts } from '../../src/watch/watchdog/mount-watch.js';
import { parseMountInfo } from '../../src/os/mounts.js';

const line = (id: number, point: string, fs = 'ext4', root = '/') =>
  `${id} 1 8:1 ${root} ${point} rw,relatime shared:1 - ${fs} /dev/sda1 rw`;
const table = (...lines: string[]) => parseMountInfo(lines.join('\n'));
const base = [line(1, '/'), line(20, '/proc', 'proc')];

describe('diffMounts', () => {
  it('no change, and mounts outside the root, give nothing', () => {
    expect(diffMounts('/w/r', '/w/r', table(...base), table(...base, line(30, '/mnt/x')))).toEqual([]);
  });

  it('a bind mount over a watched dir (same fs, same st_dev) is seen by its new mount id, spelled under the root', () => {
    const after = table(...base, line(31, '/real/r/src', 'ext4', '/other-src'));
    const c = diffMounts('/link/r', '/real/r', table(...base), after);
    expect(c).toEqual([{ path: '/link/r/src', kind: 'added', entry: expect.objectContaining({ mountId: 31, fsType: 'ext4' }) }]);
  });

  it('stacked, replaced and removed mounts; outermost first', () => {
    const before = table(...base, line(40, '/r/a/b', 'tmpfs'), line(41, '/r/c'));
    const after = table(...base, line(40, '/r/a/b', 'tmpfs'), line(45, '/r/a/b'), line(46, '/r/a'));
    expect(diffMounts('/r', '/r', before, after).map((x) => [x.path, x.kind])).toEqual([
      ['/r/a', 'added'],
      ['/r/c', 'removed'],
      ['/r/a/b', 'changed'],
    ]);
  });

  it('a mount over the root itself is left to the root identity check', () => {
    expect(diffMounts('/r', '/r', table(...base), table(...base, line(50, '/r')))).toEqual([]);
  });
});
