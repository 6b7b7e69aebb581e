import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { oomKillCount } from '../../src/os/oom-kills.js';
import { formatExit } from '../../src/supervisor/wording.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
afterEach(() => tmp?.cleanup());

describe('an app the OOM killer ended (os/oom-kills.ts)', () => {
  it("reads the machine's OOM kill count from vmstat, undefined where it does not say", () => {
    tmp = makeTmpDir();
    fs.writeFileSync(path.join(tmp.dir, 'vmstat'), 'nr_free_pages 100\noom_kill 7\nnr_unstable 0\n');
    expect(oomKillCount(tmp.dir)).toBe(7);
    fs.writeFileSync(path.join(tmp.dir, 'vmstat'), 'nr_free_pages 100\n');
    expect(oomKillCount(tmp.dir)).toBeUndefined();
    expect(oomKillCount(path.join(tmp.dir, 'nowhere'))).toBeUndefined();
    expect(typeof oomKillCount()).toBe('number'); // this machine's /proc
  });

  it('says "out of memory", not a bare SIGKILL someone would go looking for', () => {
    expect(formatExit({ code: null, signal: 'SIGKILL', uptimeMs: 1200, outOfMemory: true })).toMatch(
      /^was killed by SIGKILL after 1\.2s: out of memory \(the kernel's OOM killer ran meanwhile/,
    );
    expect(formatExit({ code: null, signal: 'SIGKILL', uptimeMs: 1200 })).toBe('was killed by SIGKILL after 1.2s');
  });
});
