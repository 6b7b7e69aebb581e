/** Pure parts of issue 18: which build steps a change needs, the changed files as arguments, the cycle's summary line. */
import { describe, expect, it } from 'vitest';
import { CycleSummary } from '../../src/supervisor/cycle-summary.js';
import { changedEnv, expandChanged } from '../../src/supervisor/exec-args.js';
import { stepsFor } from '../../src/supervisor/steps.js';
import type { BuildStep } from '../../src/config/settings.js';
import { ConfigSchema } from '../../src/config/schema.js';

const gen: BuildStep = { run: ['go', 'generate', './...'], when: 'before', files: [] };
const templ: BuildStep = { run: ['templ', 'generate'], when: 'before', files: ['**/*.templ'] };
const css: BuildStep = { run: ['npm', 'run', 'css'], when: 'instead', files: ['web/**/*.css'] };
const notify: BuildStep = { run: ['curl', 'http://x'], when: 'after', files: [] };
const all = [gen, templ, css, notify];

describe('stepsFor', () => {
  it('runs steps without files every cycle, and those with files when one of theirs changed', () => {
    expect(stepsFor(all, 'before', ['/r/main.go'], '/r')).toEqual([gen]);
    expect(stepsFor(all, 'before', ['/r/views/page.templ'], '/r')).toEqual([gen, templ]);
    expect(stepsFor(all, 'after', ['/r/main.go'], '/r')).toEqual([notify]);
  });
  it('runs every before-step at the first build or a rescan, and never an instead-step then', () => {
    expect(stepsFor(all, 'before', 'all', '/r')).toEqual([gen, templ]);
    expect(stepsFor(all, 'instead', 'all', '/r')).toEqual([]);
    expect(stepsFor(all, 'instead', ['/r/web/a/site.css'], '/r')).toEqual([css]);
    expect(stepsFor(all, 'instead', ['/r/main.go'], '/r')).toEqual([]);
  });
});

describe('the changed files as a command gets them', () => {
  it('expands only a whole {changed} argument, one argument per file, and lists them one per line', () => {
    expect(expandChanged(['go', 'vet', '{changed}', '-x'], ['a.go', 'b c.go'])).toEqual(['go', 'vet', 'a.go', 'b c.go', '-x']);
    expect(expandChanged(['echo', 'x{changed}'], ['a.go'])).toEqual(['echo', 'x{changed}']);
    expect(expandChanged(['go', 'test', '{changed}'], [])).toEqual(['go', 'test']);
    expect(changedEnv(['a.go', 'sub/b.go'])).toEqual({ HOTWATCH_CHANGED: 'a.go\nsub/b.go' });
  });
});

describe('build.steps in the schema', () => {
  it('defaults when to before and files to none; refuses an instead-step without files', () => {
    const ok = ConfigSchema.parse({ build: { steps: [{ run: ['go', 'generate', './...'] }] } });
    expect(ok.build.steps).toEqual([{ run: ['go', 'generate', './...'], when: 'before', files: [] }]);
    expect(ok.build.clear).toBe(false);
    const bad = ConfigSchema.safeParse({ build: { steps: [{ run: ['npm', 'run', 'css'], when: 'instead' }] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['build', 'steps', 0, 'files']);
    expect(ConfigSchema.safeParse({ build: { steps: [{ run: [] }] } }).success).toBe(false);
  });
});

describe('CycleSummary', () => {
  it('says what changed, the build time, the time down and where it serves, for the app of this cycle only', () => {
    const s = new CycleSummary();
    s.note({ kind: 'build.start', trigger: 'main.go', files: 1, rescan: [] });
    s.note({ kind: 'build.done', buildMs: 412 });
    s.note({ kind: 'app.start', pid: 7, reason: 'main.go', stopMs: 20, startMs: 8 });
    expect(s.line(7, 'http://127.0.0.1:8080', 10)).toBe('main.go → built in 412 ms, restarted in 38 ms, serving on http://127.0.0.1:8080');
    expect(s.line(6, 'http://127.0.0.1:8080', 10)).toBeUndefined();
    s.note({ kind: 'app.restart', pid: 7, reason: 'run.envFiles changed (.env)' });
    s.note({ kind: 'app.start', pid: 8, reason: 'run.envFiles changed (.env)', startMs: 5 });
    expect(s.line(8, ':8080', 1)).toBe('run.envFiles changed (.env) → no build, started in 6 ms, serving on :8080');
  });

  it('a slow app seen listening after the next change began its build is said as the cycle that started it', () => {
    const s = new CycleSummary();
    s.note({ kind: 'build.start', trigger: 'initial build', files: 0, rescan: [] });
    s.note({ kind: 'build.done', buildMs: 469 });
    s.note({ kind: 'app.start', pid: 9, reason: 'initial build', startMs: 8051 });
    s.note({ kind: 'build.start', trigger: 'main.go', files: 1, rescan: [] });
    expect(s.line(9, ':8080', 11)).toBe('initial build → built in 469 ms, started in 8062 ms, serving on :8080');
  });

  it('a build let finish while a newer change waits: its version is said with its build, though the newer build began before it started', () => {
    const s = new CycleSummary();
    s.note({ kind: 'build.start', trigger: 'apis/health.go', files: 1, rescan: [] });
    s.note({ kind: 'build.kept', trigger: 'apis/base.go', waitingMs: 1200 });
    s.note({ kind: 'build.done', buildMs: 3512 });
    s.note({ kind: 'build.start', trigger: 'apis/base.go', files: 1, rescan: [] });
    s.note({ kind: 'app.start', pid: 11, reason: 'apis/health.go', stopMs: 30, startMs: 40 });
    expect(s.line(11, ':8090', 4)).toBe('apis/health.go → built in 3512 ms, restarted in 74 ms, serving on :8090');
  });
});
