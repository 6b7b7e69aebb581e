/**
 * The remembered first build's plan (src/startup/first-build-plan.ts), on real files in a temp cache
 * directory: kept and read back for the same directory and flags; a miss when the config's content,
 * the flags, the directory or the config's presence changed; a torn or edited file, a plan of another
 * format, or a cache directory others may write into, never used; the oldest plans pruned.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPlan, writePlan, type FirstBuildPlan, type PlanPlace } from '../../src/startup/first-build-plan.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
let cache: string;
let config: string;
let place: PlanPlace;
let plan: FirstBuildPlan;

beforeEach(() => {
  tmp = makeTmpDir();
  cache = path.join(tmp.dir, 'cache');
  config = path.join(tmp.dir, 'watcher.config.yaml');
  fs.writeFileSync(config, 'build:\n  flags: [-trimpath]\n');
  place = { argv: ['--port', '8080'], cwd: tmp.dir, env: { HOTWATCH_CACHE_DIR: cache } };
  plan = {
    root: tmp.dir,
    rootAs: tmp.dir,
    output: path.join(tmp.dir, '.hotwatch/bin/app'),
    file: 'go',
    args: ['build', '-o', path.join(tmp.dir, '.hotwatch/bin/app'), '-trimpath', '.'],
    buildEnv: { CGO_ENABLED: '0' },
    inputs: [config],
  };
});
afterEach(() => tmp.cleanup());

const planFiles = (): string[] => fs.readdirSync(path.join(cache, 'first-builds')).filter((n) => n.endsWith('.json'));

describe('the first build plan', () => {
  it('none kept yet: undefined, and nothing created by reading', () => {
    expect(readPlan(place)).toBeUndefined();
    expect(fs.existsSync(cache)).toBe(false);
  });

  it('kept, then read back whole for the same directory and flags, in a file only we may read', () => {
    writePlan(place, plan);
    expect(readPlan(place)).toEqual({ plan, from: 'kept' });
    const [file] = planFiles();
    expect(fs.statSync(path.join(cache, 'first-builds', file!)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(cache, 'first-builds')).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(cache, 'first-builds', file!), 'utf8'), 'no environment kept').not.toContain('HOTWATCH_CACHE_DIR');
  });

  it('the config changed (content, or created where there was none): a miss', () => {
    writePlan(place, plan);
    fs.writeFileSync(config, 'build:\n  flags: [-race]\n');
    expect(readPlan(place)).toMatchObject({ miss: expect.stringContaining('changed') });

    const none = { ...plan, inputs: [path.join(tmp.dir, 'sub', 'watcher.config.yaml')] };
    writePlan(place, none);
    expect(readPlan(place)).toEqual({ plan: none, from: 'kept' });
    fs.mkdirSync(path.join(tmp.dir, 'sub'));
    fs.writeFileSync(path.join(tmp.dir, 'sub', 'watcher.config.yaml'), 'root: .\n');
    expect(readPlan(place)).toMatchObject({ miss: expect.any(String) });
  });

  it('other flags or another directory: another plan (none kept for them)', () => {
    writePlan(place, plan);
    expect(readPlan({ ...place, argv: ['--port', '8081'] })).toBeUndefined();
    expect(readPlan({ ...place, cwd: path.join(tmp.dir, 'elsewhere') })).toBeUndefined();
    expect(readPlan({ ...place, env: { HOTWATCH_CACHE_DIR: cache, UNRELATED: 'x' } }), 'the environment is not part of it').toEqual({
      plan,
      from: 'kept',
    });
  });

  it('a config that is not a regular file (a pipe, /dev/stdin): no plan kept, none used, nothing read from it', () => {
    const fifo = path.join(tmp.dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const piped = { ...plan, inputs: [fifo] };
    expect(() => writePlan(place, piped)).toThrow(/not a regular file/);
    writePlan(place, plan);
    const file = path.join(cache, 'first-builds', planFiles()[0]!);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...stored, inputs: [fifo] }));
    // A read of the FIFO would block here (no writer): the miss comes from its type alone.
    expect(readPlan(place)).toMatchObject({ miss: expect.stringContaining('not a regular file') });
  });

  it('the root as given now leads elsewhere (a symlink retargeted): a miss', () => {
    const a = path.join(tmp.dir, 'a');
    const b = path.join(tmp.dir, 'b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.symlinkSync(a, path.join(tmp.dir, 'current'));
    const viaLink = { ...plan, root: a, rootAs: path.join(tmp.dir, 'current') };
    writePlan(place, viaLink);
    expect(readPlan(place)).toEqual({ plan: viaLink, from: 'kept' });
    fs.unlinkSync(path.join(tmp.dir, 'current'));
    fs.symlinkSync(b, path.join(tmp.dir, 'current'));
    expect(readPlan(place)).toMatchObject({ miss: expect.stringContaining('no longer resolves to') });
  });

  it('a torn file, an edited plan or another format: never used', () => {
    writePlan(place, plan);
    const file = path.join(cache, 'first-builds', planFiles()[0]!);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length / 2));
    expect(readPlan(place)).toMatchObject({ miss: expect.stringContaining('not JSON') });
    fs.writeFileSync(file, text.replace('"-trimpath"', '"-race"'));
    expect(readPlan(place)).toMatchObject({ miss: expect.any(String) });
    fs.writeFileSync(file, text.replace('"format":1', '"format":99'));
    expect(readPlan(place)).toMatchObject({ miss: expect.stringContaining('not a plan of this hotwatch') });
    fs.writeFileSync(file, text);
    expect(readPlan(place)).toEqual({ plan, from: 'kept' });
  });

  it('a cache directory others may write into: nothing kept there, nothing read from it', () => {
    writePlan(place, plan);
    fs.chmodSync(cache, 0o777);
    expect(readPlan(place)).toMatchObject({ miss: expect.stringContaining('writable by others') });
    expect(() => writePlan(place, plan)).toThrow(/writable by others/);
  });

  it('a plan file that is a symlink: never followed', () => {
    writePlan(place, plan);
    const file = path.join(cache, 'first-builds', planFiles()[0]!);
    const elsewhere = path.join(tmp.dir, 'planted.json');
    fs.renameSync(file, elsewhere);
    fs.symlinkSync(elsewhere, file);
    expect(readPlan(place)).toMatchObject({ miss: expect.stringContaining('is a symbolic link') });
  });

  it('at most 64 plans: writing one more removes the oldest', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 66; i++) {
      writePlan({ ...place, argv: [String(i)] }, plan);
      const f = path.join(cache, 'first-builds', planFiles().find((n) => !seen.has(n))!);
      seen.add(path.basename(f));
      fs.utimesSync(f, new Date(1_000_000 + i * 1000), new Date(1_000_000 + i * 1000));
    }
    expect(planFiles()).toHaveLength(64);
    expect(readPlan({ ...place, argv: ['0'] }), 'the oldest is gone').toBeUndefined();
    expect(readPlan({ ...place, argv: ['65'] })).toEqual({ plan, from: 'kept' });
  });
});
