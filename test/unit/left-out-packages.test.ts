/**
 * Which packages the build compiles the excludeDirs entries leave out, kept or hidden (pure: paths, no
 * disk), and the filter's verdicts once they are kept (src/watch/tree/left-out-packages.ts, filter.ts).
 */
import { describe, expect, it } from 'vitest';
import type { WatchSettings } from '../../src/config/settings.js';
import { createFilter } from '../../src/watch/tree/filter.js';
import { REPO_ROOT, repoWatchSettings } from '../helpers/watch-settings.js';
import { hiddenFix, hiddenLine, keptLine, planLeftOut, withLeftOutKept } from '../../src/watch/tree/left-out-packages.js';

const ROOT = REPO_ROOT;
const settings = (over: Partial<WatchSettings> = {}): WatchSettings => repoWatchSettings({ gitignore: true, ...over });
const abs = (rel: string) => `${ROOT}/${rel}`;
const PKGS = ['', 'internal/ver', 'internal/tmp', 'vendor/github.com/google/uuid', 'vendor/golang.org/x/sys/unix', '/elsewhere/lib'].map(
  (d) => (d.startsWith('/') ? d : d === '' ? ROOT : abs(d)),
);

describe('planLeftOut', () => {
  it('keeps the packages a default entry leaves out, grouped under the outermost directory it excludes', () => {
    const plan = planLeftOut(settings(), PKGS);
    expect(plan.hidden).toEqual([]);
    expect(plan.kept).toEqual([
      { root: ROOT, top: 'internal/tmp', entry: 'tmp', dirs: ['internal/tmp'] },
      { root: ROOT, top: 'vendor', entry: 'vendor', dirs: ['vendor/github.com/google/uuid', 'vendor/golang.org/x/sys/unix'] },
    ]);
    expect(keptLine(plan.kept[0]!, ROOT)).toBe(
      'watching internal/tmp although watch.excludeDirs leaves out tmp: the build compiles a package there',
    );
    expect(keptLine(plan.kept[1]!, ROOT)).toBe(
      'watching vendor/github.com/google/uuid, vendor/golang.org/x/sys/unix (2 packages in vendor) although watch.excludeDirs leaves out vendor: the build compiles those packages (vendor mode: go builds from vendor/)',
    );
  });

  it('does not override an entry the config writes (even one that is also a default): it is hidden, with the fix', () => {
    const plan = planLeftOut(settings({ excludeDirs: ['vendor', 'tmp', 'scratch'], excludeDirsWritten: ['tmp'] }), PKGS);
    expect(plan.kept.map((g) => g.top)).toEqual(['vendor']);
    expect(plan.hidden).toEqual([{ root: ROOT, top: 'internal/tmp', entry: 'tmp', dirs: ['internal/tmp'], by: 'excludeDirs' }]);
    expect(hiddenLine(plan.hidden[0]!, ROOT)).toContain('internal/tmp holds a package the build compiles');
    expect(hiddenLine(plan.hidden[0]!, ROOT)).toContain('edits there are NOT seen');
    expect(hiddenFix(plan.hidden[0]!)).toContain('remove "tmp" from watch.excludeDirs');
  });

  it('a package an exclude glob also leaves out is hidden, not said to be watched', () => {
    const plan = planLeftOut(settings({ exclude: ['**/*_test.go', 'internal/**'] }), PKGS);
    expect(plan.kept.map((g) => g.top)).toEqual(['vendor']);
    expect(plan.hidden.map((g) => [g.dirs, g.by])).toEqual([[['internal/tmp'], 'exclude']]);
    expect(hiddenLine(plan.hidden[0]!, ROOT)).toContain('but a watch.exclude glob leaves it out');
    expect(hiddenFix(plan.hidden[0]!)).toContain('narrow the watch.exclude glob that covers internal/tmp');
  });

  it('nothing when no entry leaves a package out ("!vendor", "!tmp")', () => {
    expect(planLeftOut(settings({ excludeDirs: ['.git', '.hotwatch'] }), PKGS)).toEqual({ kept: [], hidden: [] });
  });
});

describe('createFilter with the kept packages', () => {
  const f = createFilter(withLeftOutKept(settings(), PKGS));

  it('a kept package directory is descended and its files count by extension (tests still excluded)', () => {
    expect(f.isExcludedDir(abs('internal/tmp'))).toBe(false);
    expect(f.isRelevantFile(abs('internal/tmp/t.go'))).toBe(true);
    expect(f.isRelevantFile(abs('internal/tmp/t_test.go'))).toBe(false);
    expect(f.isRelevantFile(abs('vendor/github.com/google/uuid/uuid.go'))).toBe(true);
    expect(f.isRelevantFile(abs('vendor/golang.org/x/sys/unix/zerrors.go'))).toBe(true);
  });

  it('only the directories above a kept one are descended, and their own files do not count', () => {
    expect(f.isExcludedDir(abs('vendor'))).toBe(false);
    expect(f.isExcludedDir(abs('vendor/golang.org/x'))).toBe(false);
    expect(f.isRelevantFile(abs('vendor/modules.txt'))).toBe(false);
    expect(f.isRelevantFile(abs('vendor/golang.org/x/x.go'))).toBe(false);
    expect(f.isExcludedDir(abs('vendor/golang.org/x/net'))).toBe(true);
    expect(f.isExcludedDir(abs('vendor/github.com/other'))).toBe(true);
    // Not the kept package's subdirectories (another package, not compiled), nor another tmp.
    expect(f.isExcludedDir(abs('internal/tmp/sub'))).toBe(true);
    expect(f.isExcludedDir(abs('tmp'))).toBe(true);
    expect(f.isExcludedDir(abs('cmd/tmp'))).toBe(true);
  });

  it('without kept packages, the same directories are excluded (as before)', () => {
    const plain = createFilter(settings());
    expect(plain.isExcludedDir(abs('internal/tmp'))).toBe(true);
    expect(plain.isExcludedDir(abs('vendor'))).toBe(true);
  });
});
