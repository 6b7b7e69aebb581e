/**
 * The lock on a root (src/root-lock.ts): atomic, one holder, named by the directory's identity (a symlink
 * to it is the same root), answered with the holder's pid, and released by the kernel when the holder
 * dies, SIGKILL included. Both forms: the abstract socket (Linux) and the socket file (the fallback
 * elsewhere, exercised here on Linux too).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alreadyRunning, lockRoot, type HeldLock, type LockOptions } from '../../src/root-lock.js';
import { requireNamespaces } from '../helpers/faults-ns.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let tmp: { dir: string; cleanup: () => void };
const held: HeldLock[] = [];
const kids: number[] = [];
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-lock-');
  fs.mkdirSync(path.join(tmp.dir, 'root'));
  fs.mkdirSync(path.join(tmp.dir, 'socks'));
});
afterEach(() => {
  for (const l of held.splice(0)) l.release();
  for (const pid of kids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  tmp.cleanup();
});

async function take(root: string, o: LockOptions): Promise<HeldLock> {
  const got = await lockRoot(root, o);
  if (!('release' in got)) throw new Error(`expected the lock, got ${JSON.stringify(got)}`);
  held.push(got);
  return got;
}

/** A child node process holding the lock (the built dist/root-lock.js: `npm run build` first, as for every e2e test). */
function holderChild(root: string, o: LockOptions): Promise<number> {
  const script = `const { lockRoot } = await import(${JSON.stringify(path.join(REPO, 'dist/root-lock.js'))});
const got = await lockRoot(${JSON.stringify(root)}, ${JSON.stringify(o)});
if (!('release' in got)) { console.log('refused'); process.exit(1); }
console.log('held'); setInterval(() => {}, 1000);`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  kids.push(p.pid!);
  return new Promise((resolve, reject) => {
    p.stdout!.once('data', (d) => (String(d).startsWith('held') ? resolve(p.pid!) : reject(new Error(String(d)))));
    p.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
}

const forms: Array<[string, () => LockOptions]> = [
  ['abstract socket (Linux)', () => ({ abstract: true })],
  ['socket file (fallback)', () => ({ abstract: false, dir: path.join(tmp.dir, 'socks') })],
];

describe.each(forms)('the root lock: %s', (_name, opts) => {
  it('one holder; the second is told its pid, also through a symlink to the root; free again after release', async () => {
    const root = path.join(tmp.dir, 'root');
    const first = await take(root, opts());
    expect(await lockRoot(root, opts())).toMatchObject({ pid: process.pid });
    fs.symlinkSync(root, path.join(tmp.dir, 'link'));
    expect(await lockRoot(path.join(tmp.dir, 'link'), opts())).toMatchObject({ pid: process.pid });
    first.release();
    await take(root, opts());
  });

  it('released by the kernel when the holder is SIGKILLed', async () => {
    const root = path.join(tmp.dir, 'root');
    const pid = await holderChild(root, opts());
    expect(await lockRoot(root, opts())).toMatchObject({ pid });
    process.kill(pid, 'SIGKILL');
    await waitFor(
      () => {
        try {
          return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z') ? true : undefined;
        } catch {
          return true;
        }
      },
      { description: 'the holder is dead', timeoutMs: 5000 },
    );
    await take(root, opts());
  });
});

describe('the root lock held from another PID namespace (a second container on a bind-mounted tree)', () => {
  it('is refused naming the holder as in another namespace, with its host name: its pid is not one to kill from here', async () => {
    requireNamespaces('-Urpf');
    const root = path.join(tmp.dir, 'root');
    const script = `const { lockRoot } = await import(${JSON.stringify(path.join(REPO, 'dist/root-lock.js'))});
const got = await lockRoot(${JSON.stringify(root)}, { abstract: true });
console.log('release' in got ? 'held' : 'refused'); setInterval(() => {}, 1000);`;
    const p = spawn('unshare', ['-Urpf', '--kill-child', '--mount-proc', process.execPath, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    kids.push(p.pid!);
    await new Promise<void>((resolve, reject) => {
      p.stdout!.once('data', (d) => (String(d).startsWith('held') ? resolve() : reject(new Error(String(d)))));
      p.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
    });
    const got = await lockRoot(root, { abstract: true });
    expect(got).toMatchObject({ pid: 1, elsewhere: expect.any(String) });
    const e = alreadyRunning(1, root, (got as { elsewhere: string }).elsewhere);
    expect(e.format()).toMatch(
      /in another PID namespace \(a container, host .+, where its pid is 1\)\n {2}fix: stop that one \(in its own container\), or run both programs from one hotwatch: `hotwatch init --all`/,
    );
    expect(e.format()).not.toContain('kill 1');
  });
});
