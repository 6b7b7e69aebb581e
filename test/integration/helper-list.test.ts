/**
 * The inotify helper's "l" request (main.go): watch a directory, THEN read it, in one round trip. Against
 * the real helper process and real directories: the identity it reports is the one node's lstat gives
 * (the engine compares them to tell a replaced directory), the entries carry their types and survive
 * odd names, failures keep the meaning of a failed watch, and nothing created while many directories are
 * armed and read is missed (each new file is in a listing or arrives as an event).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inotifyHelper } from '../../src/watch/native/helper/build.js';
import { HelperLink, type HelperHandlers } from '../../src/watch/native/helper/link.js';
import { type DirListing, forEachEntry } from '../../src/watch/native/helper/wire.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { watchesOfProcess } from '../../src/os/inotify-fds.js';

let bin: string;
let tmp: { dir: string; cleanup: () => void };
const links: HelperLink[] = [];

beforeAll(async () => {
  const h = await inotifyHelper();
  if (!('path' in h)) throw new Error(`the helper should be available here: ${h.unavailable}`);
  bin = h.path;
});
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-helper-list-');
});
afterEach(async () => {
  for (const l of links.splice(0)) {
    l.close();
    await l.exited(2000);
  }
  tmp.cleanup();
});

/** A helper whose answers are recorded by id. */
function helper() {
  const listed = new Map<number, DirListing>();
  const failed = new Map<number, string>();
  const unreadable = new Map<number, string>();
  const events: Array<{ id: number; name: string | null }> = [];
  let died: string | undefined;
  const handlers: HelperHandlers = {
    event: (id, _mask, name) => events.push({ id, name }),
    gone: () => undefined,
    overflow: () => undefined,
    failed: (id, errno) => failed.set(id, errno),
    listed: (id, l) => listed.set(id, l),
    unreadable: (id, errno) => unreadable.set(id, errno),
    died: (why) => (died = why),
  };
  const link = new HelperLink(bin, handlers);
  links.push(link);
  return { link, listed, failed, unreadable, events, died: () => died };
}

const entriesOf = (l: DirListing): Map<string, string> => {
  const m = new Map<string, string>();
  forEachEntry(l, (kind, name) => m.set(name, kind));
  return m;
};

describe('inotify helper: watch then list ("l")', () => {
  it("gives the directory's identity as lstat does, and each entry with its type, odd names intact", async () => {
    const dir = path.join(tmp.dir, 'pkg');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a.go'), 'package pkg\n');
    const odd = ['50%off.go', 'line\nbreak.go', 'sp ace.go', 'ünï.go', '%0A.go'];
    for (const n of odd) fs.writeFileSync(path.join(dir, n), 'package pkg\n');
    fs.symlinkSync('/etc', path.join(dir, 'outside'));
    fs.symlinkSync('a.go', path.join(dir, 'alias.go'));
    const sock = net.createServer().listen(path.join(dir, 's.sock'));
    await new Promise((r) => sock.once('listening', r));
    try {
      const h = helper();
      h.link.list(1, dir);
      await h.link.barrier(10_000);
      const l = h.listed.get(1);
      expect(l, 'a listing for id 1').toBeDefined();
      const st = fs.lstatSync(dir);
      expect({ dev: l!.dev, ino: l!.ino, birthtimeMs: l!.birthtimeMs }).toEqual({ dev: st.dev, ino: st.ino, birthtimeMs: st.birthtimeMs });
      const kinds = entriesOf(l!);
      expect(Object.fromEntries(kinds)).toEqual({
        sub: 'd',
        'a.go': 'f',
        ...Object.fromEntries(odd.map((n) => [n, 'f'])),
        outside: 'l',
        'alias.go': 'l',
        's.sock': 'o',
      });
      expect([...kinds.keys()], "in node's readdir order (byte order): the walk's file list stays sorted by directory").toEqual(
        fs.readdirSync(dir),
      );
    } finally {
      sock.close();
    }
  });

  it('"k": listings name only the regular files kept (extension, any case, or whole name); dirs, symlinks and the rest stay', async () => {
    const dir = path.join(tmp.dir, 'kept');
    fs.mkdirSync(path.join(dir, 'sub.txt'), { recursive: true });
    const files = [
      'a.go',
      'B.GO',
      'c.Go',
      'go.mod',
      'notes.txt',
      'data.json',
      '.go',
      'x.go.bak',
      'mod',
      '50%.go',
      'ünï.Ĝo',
      'line\nbreak.go',
    ];
    for (const n of files) fs.writeFileSync(path.join(dir, n), 'x');
    fs.symlinkSync('notes.txt', path.join(dir, 'link.txt'));
    const h = helper();
    const keep = { extensions: ['.go', '.tmpl'], names: ['go.mod'] };
    h.link.list(1, dir, keep);
    h.link.list(2, dir); // no rules: every file again
    h.link.list(3, dir, { extensions: ['.txt'], names: ['50%.go'] }); // new rules, told again
    await h.link.barrier(10_000);
    const names = (id: number) => [...entriesOf(h.listed.get(id)!).keys()].sort();
    // ".go" has no extension (a dot file), as path.extname says; a non-ASCII extension is named (node decides).
    expect(names(1)).toEqual(['50%.go', 'B.GO', 'a.go', 'c.Go', 'go.mod', 'line\nbreak.go', 'link.txt', 'sub.txt', 'ünï.Ĝo'].sort());
    expect(names(2)).toEqual([...files, 'link.txt', 'sub.txt'].sort());
    expect(names(3)).toEqual(['50%.go', 'link.txt', 'notes.txt', 'sub.txt', 'ünï.Ĝo'].sort());
  });

  it('"c": the helper counts the watches the kernel holds for it (the ready audit), as node reads them from /proc, and says what reading them cost', async () => {
    const h = helper();
    for (let i = 0; i < 40; i++) {
      fs.mkdirSync(path.join(tmp.dir, `d${i}`));
      h.link.list(i + 1, path.join(tmp.dir, `d${i}`));
    }
    const counted = h.link.count(); // answered after every earlier line is done
    h.link.remove(40);
    const afterRemove = h.link.count();
    const first = await counted;
    expect(first?.watches).toBe(40);
    expect(first?.costMs, 'the helper timed its reading of the table').toBeGreaterThan(0);
    expect(first?.costMs).toBeLessThan(10_000);
    expect((await afterRemove)?.watches).toBe(39);
    expect(h.listed.size).toBe(40);
    expect(watchesOfProcess(h.link.pid!)).toBe(39);
    h.link.close();
    expect(await h.link.count(), 'a closed helper cannot tell').toBeUndefined();
  });

  it('the watch stands once the listing is in: an entry created afterwards is an event of that id', async () => {
    const dir = path.join(tmp.dir, 'w');
    fs.mkdirSync(dir);
    const h = helper();
    h.link.list(7, dir);
    await h.link.barrier(10_000);
    expect(entriesOf(h.listed.get(7)!).size).toBe(0);
    fs.writeFileSync(path.join(dir, 'new.go'), 'package w\n');
    await h.link.barrier(10_000); // answered after the kernel's queued events are written
    expect(h.events).toContainEqual({ id: 7, name: 'new.go' });
  });

  it('failures mean what a failed watch means: gone → ENOENT, a symlink or a file → ENOTDIR; nothing is listed', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'real'));
    fs.symlinkSync(path.join(tmp.dir, 'real'), path.join(tmp.dir, 'link'));
    fs.writeFileSync(path.join(tmp.dir, 'file'), 'x');
    const h = helper();
    h.link.list(1, path.join(tmp.dir, 'missing'));
    h.link.list(2, path.join(tmp.dir, 'link'));
    h.link.list(3, path.join(tmp.dir, 'file'));
    h.link.list(4, path.join(tmp.dir, 'real'));
    await h.link.barrier(10_000);
    expect(Object.fromEntries(h.failed)).toEqual({ 1: 'ENOENT', 2: 'ENOTDIR', 3: 'ENOTDIR' });
    expect([...h.listed.keys()]).toEqual([4]);
    expect(h.unreadable.size).toBe(0);
    expect(h.died()).toBeUndefined();
  });

  it('nothing is missed while 300 directories are armed and read: each file a writer creates meanwhile is listed or an event', async () => {
    const dirs = Array.from({ length: 300 }, (_, i) => path.join(tmp.dir, `d${i}`));
    for (const d of dirs) fs.mkdirSync(d);
    // Another process writes into every directory, round after round, while they are armed and read.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const dirs=JSON.parse(process.argv[1]);let r=0;const t=setInterval(()=>{for(const d of dirs)fs.writeFileSync(d+'/r'+r+'.go','x');r++;if(r===40){clearInterval(t);process.stdout.write(String(r))}},1);`,
        JSON.stringify(dirs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const done = new Promise<void>((resolve) => writer.on('exit', () => resolve()));
    const h = helper();
    await new Promise((r) => setTimeout(r, 5)); // the writer under way
    dirs.forEach((d, i) => h.link.list(i + 1, d));
    await done;
    await h.link.barrier(20_000);
    let missed = 0;
    let listedFiles = 0;
    for (const [i, d] of dirs.entries()) {
      const l = h.listed.get(i + 1);
      expect(l, `a listing for ${d}`).toBeDefined();
      const seen = new Set(entriesOf(l!).keys());
      listedFiles += seen.size;
      for (const e of h.events) if (e.id === i + 1 && e.name) seen.add(e.name);
      for (const f of fs.readdirSync(d)) if (!seen.has(f)) missed++;
    }
    expect(missed, 'files neither listed nor seen as an event').toBe(0);
    expect(listedFiles + h.events.length, 'the writer ran').toBeGreaterThan(0);
  });
});
