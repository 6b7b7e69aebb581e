/**
 * Issue 19, the storm path: a real `git checkout` between two branches that differ in every file of 30
 * packages (900 files, different content), with one package directory removed and another created, is
 * ONE build of the final state, there and back again. The bulk window is what keeps it one build; the
 * same-content dismissal (pipeline/live-changes.ts) must not shorten it for real changes. Real git, real
 * go build, real HTTP.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';

const PACKAGES = 30;
const FILES = 30;

const git = (dir: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** The tree of `branch`: every constant differs between a and b; b has ./extra and no ./p1. */
function writeBranch(dir: string, branch: 'a' | 'b'): void {
  const v = branch === 'a' ? 1 : 2;
  const pkgs = Array.from({ length: PACKAGES }, (_, p) => `p${p}`).filter((p) => branch === 'a' || p !== 'p1');
  if (branch === 'b') {
    fs.rmSync(path.join(dir, 'p1'), { recursive: true, force: true });
    pkgs.push('extra');
  }
  for (const p of pkgs) {
    fs.mkdirSync(path.join(dir, p), { recursive: true });
    for (let f = 0; f < FILES; f++) fs.writeFileSync(path.join(dir, p, `f${f}.go`), `package ${p}\n\nconst C${f} = ${v * 1000 + f}\n`);
  }
  const uses = pkgs.map((p) => `_ = ${p}.C0`).join('\n\t');
  const main = goMain(`${branch}`, { imports: pkgs.map((p) => `example.com/checkout/${p}`), extraMain: uses });
  fs.writeFileSync(path.join(dir, 'main.go'), main);
}

const session = hotwatchSession((dir) => {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/checkout\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), '.hotwatch/\n');
  git(dir, 'init', '-q', '-b', 'a');
  writeBranch(dir, 'a');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'a');
  git(dir, 'checkout', '-qb', 'b');
  writeBranch(dir, 'b');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'b');
  git(dir, 'checkout', '-q', 'a');
});

describe('a real git checkout across packages (e2e)', () => {
  it('900 files in 30 packages changed, a package removed and one created: one build of the final state, each way', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('a');
    await hw.waitForLog((l) => l.event === 'app.listening', 'a listens');
    for (const branch of ['b', 'a', 'b'] as const) {
      const mark = hw.logs.length;
      git(session.dir, 'checkout', '-q', branch);
      await session.serves(branch);
      await hw.lastBuildListens(mark, `the last build's app (${branch}) listens`);
      // A second build would start within the bulk window and a build of the tree (well under 3 s here).
      await new Promise((r) => setTimeout(r, 3000));
      const starts = hw.events('build.start', mark).map((e) => `${String(e.trigger)} rescan=${JSON.stringify(e.rescan)}`);
      expect(starts, `checkout ${branch}: builds started: ${starts.join(' | ')}`).toHaveLength(1);
      expect(hw.events('build.failed', mark)).toEqual([]);
    }
  }, 300_000);

  it('every file rewritten with its own bytes, then one real edit: one build, of the edit, after its own window', async () => {
    const hw = (session.hw = startHotwatch(['--log-level', 'debug'], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('a');
    await hw.waitForLog((l) => l.event === 'app.listening', 'a listens');
    await new Promise((r) => setTimeout(r, 1000)); // the first build's follow-ups over
    const files = git(session.dir, 'ls-files', '*.go')
      .split('\n')
      .filter((f) => f.endsWith('.go') && f !== 'main.go');
    expect(files.length).toBe(PACKAGES * FILES);
    const mark = hw.logs.length;
    for (const f of files) {
      const p = path.join(session.dir, f);
      fs.writeFileSync(p, fs.readFileSync(p));
    }
    fs.writeFileSync(path.join(session.dir, 'main.go'), fs.readFileSync(path.join(session.dir, 'main.go'), 'utf8').replace('"a"', '"a2"'));
    await session.serves('a2');
    await hw.lastBuildListens(mark, "the last build's app (a2) listens");
    await new Promise((r) => setTimeout(r, 3000));
    const starts = hw.events('build.start', mark).filter((e) => e.level === 30);
    expect(starts.map((e) => e.trigger)).toEqual(['main.go']);
    // The batch that built it was due after a short window (5 ms for a save seen complete, 50 ms if a
    // loaded machine split the storm), not the bulk window the 1,800 same-content events would have set.
    const timing = hw.events('batch.timing', mark);
    expect(timing).toHaveLength(1);
    expect(timing[0]!.windowMs).toBeLessThan(200);
  }, 300_000);
});
