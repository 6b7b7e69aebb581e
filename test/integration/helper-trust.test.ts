/**
 * Issue 14 (6): the cached inotify helper is executed only when nobody else can have put it there. With
 * the cache directory under a world-writable directory, another user created it first and planted a
 * "helper" under the predictable name; root ran it. Here each planted helper is a script that would leave
 * a file behind if it ever ran: it must not run, and a helper hotwatch built itself is used instead.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helperSourceDir, inotifyHelper } from '../../src/watch/native/helper/build.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { OTHER_UID, asOtherUser, requireRoot } from '../helpers/trust.js';

let tmp: { dir: string; cleanup: () => void };
/** A world-writable, sticky directory, like /tmp. */
let shared: string;
/** Would be created by a planted helper that runs. */
let pwned: string;
const made: string[] = [];

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-helper-trust-');
  fs.chmodSync(tmp.dir, 0o755); // the other user must reach `shared`
  shared = path.join(tmp.dir, 'shared');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o1777);
  pwned = path.join(shared, 'pwned');
});
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  tmp.cleanup();
});

/** The name hotwatch gives the helper in a cache directory (hash of its Go source, and the arch). */
function helperName(): string {
  const h = crypto.createHash('sha256');
  for (const f of ['main.go', 'go.mod']) h.update(fs.readFileSync(path.join(helperSourceDir(), f)));
  return `hotwatch-inotify-${h.digest('hex').slice(0, 16)}-${process.arch}`;
}

const script = (): string => `#!/bin/sh\necho "ran as $(id -u) with $*" >> '${pwned}'\nexit 0\n`;

/** The helper hotwatch chose: not the planted one, never run, and a file it can trust. */
async function expectNotRun(cache: string): Promise<string> {
  const r = await inotifyHelper({ ...process.env, HOTWATCH_CACHE_DIR: cache });
  expect(fs.existsSync(pwned), `the planted helper ran: ${fs.existsSync(pwned) ? fs.readFileSync(pwned, 'utf8') : ''}`).toBe(false);
  if (!('path' in r)) throw new Error(`a helper should still be available (built by hotwatch): ${r.unavailable}`);
  const st = fs.lstatSync(r.path);
  expect(st.isFile()).toBe(true);
  expect(st.uid).toBe(process.getuid!());
  expect(st.mode & 0o022).toBe(0);
  const dir = fs.lstatSync(path.dirname(r.path));
  expect(dir.uid).toBe(process.getuid!());
  expect(dir.mode & 0o022).toBe(0);
  if (path.dirname(r.path) !== cache) made.push(path.dirname(r.path));
  return r.path;
}

describe('the cached inotify helper is checked before it runs', () => {
  it('a cache directory another user created (under a world-writable dir) with a planted helper: not run; built in a private directory instead', async () => {
    requireRoot();
    const cache = path.join(shared, 'hotwatch-cache');
    asOtherUser(
      `mkdir -m 755 '${cache}'; printf '%s' '${script().replace(/'/g, `'\\''`)}' > '${cache}/${helperName()}'; chmod 755 '${cache}/${helperName()}'`,
    );
    expect(fs.statSync(cache).uid).toBe(OTHER_UID);
    const used = await expectNotRun(cache);
    expect(path.dirname(used)).not.toBe(cache);
    expect(fs.statSync(path.dirname(used)).mode & 0o777).toBe(0o700);
  });

  it('a cache directory of ours that others may write into, with a helper another user planted: not run', async () => {
    requireRoot();
    const cache = path.join(shared, 'open-cache');
    fs.mkdirSync(cache);
    fs.chmodSync(cache, 0o777);
    asOtherUser(`printf '%s' '${script().replace(/'/g, `'\\''`)}' > '${cache}/${helperName()}'; chmod 755 '${cache}/${helperName()}'`);
    const used = await expectNotRun(cache);
    expect(path.dirname(used)).not.toBe(cache);
  });

  it('in a private cache directory: a helper that is a symlink, owned by another user, writable by others, or not what was built: not run; rebuilt', async () => {
    requireRoot();
    const target = path.join(tmp.dir, 'evil.sh');
    fs.writeFileSync(target, script(), { mode: 0o755 });
    const cases: Array<[string, (bin: string) => void]> = [
      ['a symlink', (bin) => fs.symlinkSync(target, bin)],
      [
        'owned by another user',
        (bin) => {
          fs.writeFileSync(bin, script(), { mode: 0o755 });
          fs.chownSync(bin, OTHER_UID, OTHER_UID);
        },
      ],
      [
        'writable by others',
        (bin) => {
          fs.writeFileSync(bin, script());
          fs.chmodSync(bin, 0o777);
        },
      ],
      ['not the binary hotwatch built (no matching hash)', (bin) => fs.writeFileSync(bin, script(), { mode: 0o755 })],
    ];
    for (const [what, plant] of cases) {
      const cache = fs.mkdtempSync(path.join(tmp.dir, 'cache-'));
      plant(path.join(cache, helperName()));
      const used = await expectNotRun(cache);
      expect(used, what).toBe(path.join(cache, helperName()));
      expect(fs.readFileSync(used).subarray(0, 4).toString('latin1'), `${what}: replaced by a real build`).toBe('\x7fELF');
    }
  });
});
