/** The self-triggering build guard (src/supervisor/self-trigger.ts, self-trigger-pattern.ts): pure, times given. */
import { describe, expect, it } from 'vitest';
import { SelfTriggerGuard, type SelfTriggerVerdict } from '../../src/supervisor/self-trigger.js';
import { loopPattern, type Trigger } from '../../src/supervisor/self-trigger-pattern.js';
import { toBatch } from '../../src/pipeline/aggregate.js';
import type { WatchEvent } from '../../src/pipeline/events.js';

/** A repeatable jitter in [0, 1): the same runs every time. */
function jitter(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/**
 * An app that writes `file` `delayMs` after each start (±20 ms), with builds that take 500 to 900 ms:
 * the verdicts of `cycles` cycles, the first after a person's edit of main.go.
 */
function appWriter(
  g: SelfTriggerGuard,
  file: string,
  delayMs: number,
  cycles: number,
  t0 = 0,
): { verdicts: SelfTriggerVerdict[]; t: number } {
  const rnd = jitter(7);
  let t = t0;
  const verdicts: SelfTriggerVerdict[] = [];
  for (let i = 0; i < cycles; i++) {
    g.buildStarted(t);
    t += 500 + 400 * rnd(); // the build, the old app's stop
    g.appStarted(t);
    t += delayMs + 20 * rnd();
    verdicts.push(g.judge([file], t));
    t += 30; // the debounce, then the next build starts
  }
  return { verdicts, t };
}

describe('SelfTriggerGuard', () => {
  for (const [delayMs, cycles] of [
    [0, 5],
    [5, 5],
    [400, 5],
    [800, 8],
    [1500, 8],
    [2000, 8],
    [10_000, 8],
  ] as const) {
    it(`an app writing the same file ${delayMs} ms after each start: suspected after ${cycles} cycles, a loop after one more (it followed the start the pause moved), named once, then held`, () => {
      const g = new SelfTriggerGuard({ cycles: 5 });
      const { verdicts, t } = appWriter(g, '/r/gen.go', delayMs, cycles + 1);
      expect(verdicts.slice(0, -2).every((v) => v.kind === 'build')).toBe(true);
      expect(verdicts.at(-2)).toMatchObject({ kind: 'suspect', files: ['/r/gen.go'], cycles, after: 'app' });
      const loop = verdicts.at(-1);
      expect(loop).toMatchObject({
        kind: 'loop',
        files: ['/r/gen.go'],
        cycles: cycles + 1,
        after: 'app',
        builds: cycles,
        appStarts: cycles,
      });
      expect((loop as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(delayMs);
      expect((loop as { delayMs: number }).delayMs).toBeLessThan(delayMs + 20);
      // A person's edit of main.go builds; the app it starts writes gen.go at its time again: held.
      expect(g.judge(['/r/main.go'], t + 30_000)).toEqual({ kind: 'build' });
      g.buildStarted(t + 30_010);
      g.appStarted(t + 30_700);
      expect(g.judge(['/r/gen.go'], t + 30_700 + delayMs + 10)).toEqual({ kind: 'held', files: ['/r/gen.go'], after: 'app' });
      // gen.go edited by hand, at another time after the start: it builds.
      expect(g.judge(['/r/gen.go'], t + 30_700 + delayMs + 60_000)).toEqual({ kind: 'build' });
    });
  }

  it('a build command writing a file 0.1 s into each build: a loop of builds, said as such (no app start)', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const rnd = jitter(3);
    let t = 0;
    let v: SelfTriggerVerdict = { kind: 'build' };
    const kinds: string[] = [];
    for (let i = 0; i < 6; i++) {
      g.buildStarted(t);
      t += 100 + 10 * rnd();
      v = g.judge(['/r/gen.txt'], t); // the build is canceled, the next one starts
      kinds.push(v.kind);
      t += 20 + 200 * rnd();
    }
    expect(kinds).toEqual(['build', 'build', 'build', 'build', 'suspect', 'loop']);
    expect(v).toMatchObject({ kind: 'loop', files: ['/r/gen.txt'], after: 'build', builds: 5, appStarts: 0 });
  });

  it('a person saving the same file after each new version serves, at a person’s pace: never a loop', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const rnd = jitter(11);
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      g.buildStarted(t);
      t += 600 + 200 * rnd();
      g.appStarted(t);
      t += 1000 + 4000 * rnd(); // reads the page, thinks, saves
      expect(g.judge(['/r/main.go'], t).kind).toBe('build');
    }
  });

  it('a script saving every 3 s, whatever hotwatch does: never a loop (its saves are steadier than the time after each start)', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const rnd = jitter(5);
    for (let i = 1; i <= 50; i++) {
      const save = i * 3000;
      g.buildStarted(save - 3000 + 20);
      g.appStarted(save - 3000 + 20 + 600 + 150 * rnd());
      expect(g.judge(['/r/main.go'], save + 3 * rnd()).kind).toBe('build');
    }
  });

  it('a writer at its own pace that looked like a loop: its next save while nothing of ours started (the pause) clears it; never a loop', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    // Five saves that fell 0.3 s after each start (a sync tool in step with builds of the same length).
    const { verdicts, t } = appWriter(g, '/r/main.go', 300, 5);
    expect(verdicts.at(-1)).toMatchObject({ kind: 'suspect', files: ['/r/main.go'], after: 'app' });
    // The suspected change waits out a pause: no build, no start. The tool saves again meanwhile.
    expect(g.judge(['/r/main.go'], t + 800)).toEqual({ kind: 'cleared', files: ['/r/main.go'], after: 'app' });
    // Its saves build as any change does from then on; five more in step are suspected again, not called a loop.
    const again = appWriter(g, '/r/main.go', 300, 5, t + 900);
    expect(again.verdicts.map((v) => v.kind)).toEqual(['build', 'build', 'build', 'build', 'suspect']);
  });

  it('a writer at its own pace whose saves fell the same time after each start: the pause moved the start, its next save does not follow: cleared', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const { verdicts, t } = appWriter(g, '/r/main.go', 2300, 8);
    expect(verdicts.at(-1)?.kind).toBe('suspect');
    // The pause (1 s) moved the build and the start; the script saves 3 s after its last save, as ever:
    // 1.3 s after this start, not 2.3 s.
    g.buildStarted(t + 1000);
    g.appStarted(t + 1670);
    expect(g.judge(['/r/main.go'], t - 30 + 3000)).toEqual({ kind: 'cleared', files: ['/r/main.go'], after: 'app' });
  });

  it('a person saving while slow builds run (each save cancels the build): never a loop', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const rnd = jitter(13);
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      g.buildStarted(t + 20);
      t += 700 + 3000 * rnd();
      expect(g.judge(['/r/main.go'], t).kind).toBe('build');
    }
  });

  it('a change of anything else between the cycles starts the count over', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const first = appWriter(g, '/r/gen.go', 300, 3);
    expect(g.judge(['/r/main.go'], first.t + 100)).toEqual({ kind: 'build' }); // a person's edit in between
    const second = appWriter(g, '/r/gen.go', 300, 4, first.t + 200);
    expect(second.verdicts.map((v) => v.kind)).toEqual(['build', 'build', 'build', 'build']);
    expect(appWriter(g, '/r/gen.go', 300, 1, second.t + 100).verdicts[0]!.kind).toBe('suspect');
  });

  it('an app that writes the file only on some starts: the chain ends by itself, no loop', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    let t = 0;
    for (let round = 0; round < 10; round++) {
      // A person's edit, then two starts that write gen.go and a third that does not: the cycling stops.
      t = appWriter(g, '/r/gen.go', 300, 2, t).t;
      g.buildStarted(t);
      g.appStarted(t + 600);
      t += 20_000;
      expect(g.judge(['/r/main.go'], t).kind).toBe('build');
    }
  });

  it('different files each cycle (a person editing around) break the run', () => {
    const g = new SelfTriggerGuard({ cycles: 3 });
    let t = 0;
    for (const f of ['/r/a.go', '/r/b.go', '/r/c.go', '/r/d.go']) {
      g.buildStarted(t);
      g.appStarted(t + 400);
      t += 600;
      expect(g.judge([f], t).kind).toBe('build');
    }
  });

  it('a second loop among other files is found after the first, and only its files are named', () => {
    const g = new SelfTriggerGuard({ cycles: 3 });
    const rnd = jitter(17);
    let t = 0;
    const cycle = (files: string[]): SelfTriggerVerdict => {
      g.buildStarted(t);
      t += 500 + 300 * rnd();
      g.appStarted(t);
      t += 5;
      return g.judge(files, t);
    };
    cycle(['/r/gen.go']);
    cycle(['/r/gen.go']);
    expect(cycle(['/r/gen.go']).kind).toBe('suspect');
    expect(cycle(['/r/gen.go']).kind).toBe('loop');
    expect(cycle(['/r/gen.go', '/r/stamp.go']).kind).toBe('build');
    expect(cycle(['/r/gen.go', '/r/stamp.go']).kind).toBe('build');
    expect(cycle(['/r/gen.go', '/r/stamp.go'])).toMatchObject({ kind: 'suspect', files: ['/r/stamp.go'] });
    expect(cycle(['/r/gen.go', '/r/stamp.go'])).toMatchObject({ kind: 'loop', files: ['/r/stamp.go'] });
    expect(cycle(['/r/gen.go', '/r/stamp.go']).kind).toBe('held');
  });

  it('files edited one by one right after each start, then all saved together (a save-all, a checkout), twice: never a loop', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const rnd = jitter(19);
    const all = ['/r/p1/p.go', '/r/p2/p.go', '/r/p3/p.go', '/r/p4/p.go', '/r/p5/p.go', '/r/p6/p.go'];
    let t = 0;
    const batches = [...all.map((f) => [f]), all, all];
    for (const [i, files] of batches.entries()) {
      g.buildStarted(t);
      t += 500 + (i % 3 === 1 ? 2500 : 0) + 300 * rnd(); // builds of uneven length (some packages are big)
      g.appStarted(t);
      t += 100 + 10 * rnd(); // saved right after the new version serves
      expect(g.judge(files, t).kind).toBe('build');
      t += 30;
    }
  });

  it('a script that switches branches right after each version serves (A, B, A, B...): never a loop, a version came back', () => {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const rnd = jitter(23);
    const checkout = Array.from({ length: 50 }, (_, i) => `/r/gen/f${i}.go`);
    let t = 0;
    for (let i = 0; i < 12; i++) {
      g.buildStarted(t);
      t += 900 + 600 * rnd();
      g.appStarted(t);
      g.appVersion(t, i % 2 === 0 ? 'build-id-A' : 'build-id-B');
      t += 100 + 10 * rnd();
      expect(g.judge(checkout, t).kind).toBe('build');
      t += 30;
    }
  });

  it('an app writing its file at each start: a loop whether each start runs a new binary or the same one (an env file it writes)', () => {
    for (const version of [(i: number) => `build-id-${i}`, () => 'build-id-same']) {
      const g = new SelfTriggerGuard({ cycles: 5 });
      const rnd = jitter(29);
      let t = 0;
      const kinds: string[] = [];
      for (let i = 0; i < 6; i++) {
        g.buildStarted(t);
        t += 500 + 400 * rnd();
        g.appStarted(t);
        g.appVersion(t, version(i));
        t += 5 + 10 * rnd();
        kinds.push(g.judge(['/r/gen.go'], t).kind);
        t += 30;
      }
      expect(kinds).toEqual(['build', 'build', 'build', 'build', 'suspect', 'loop']);
    }
  });

  it('a change before any build, or before the step that started last, is not caused by it', () => {
    const g = new SelfTriggerGuard({ cycles: 2 });
    expect(g.judge(['/r/a.go'], 5).kind).toBe('build');
    g.buildStarted(1000);
    expect(g.judge(['/r/a.go'], 999).kind).toBe('build');
  });
});

describe('SelfTriggerGuard with polled changes', () => {
  /**
   * A checkout polled every 1 s, repeated by a script: each poll round finds part of it, its batch starts
   * a build 50 ms after the round, and the next round finds the files written meanwhile, 950 ms after that
   * build started each time (the poll grid's pace, not the writer's; the builds whose app started in between
   * make the time between these triggers uneven: rule 3 holds too). The files were written while the
   * checkout ran, from before that build started: that build did not cause them.
   */
  function pollRounds(judgeBy: 'seen' | 'written'): SelfTriggerVerdict[] {
    const g = new SelfTriggerGuard({ cycles: 5 });
    const files = ['/r/gen/s1/f1.go', '/r/gen/s2/f2.go', '/r/gen/s3/f3.go'];
    const verdicts: SelfTriggerVerdict[] = [];
    let tick = 10_000;
    for (let round = 0; round < 12; round++) {
      g.buildStarted(tick + 50);
      // Every third build ends before the next round, and its app starts: that round's batch follows the app start.
      if (round % 3 === 1) g.appStarted(tick + 700);
      const seenAt = tick + 1000;
      const events: WatchEvent[] = files.map((p, i) => ({ kind: 'change', path: p, at: seenAt, writtenAt: tick + 20 + 300 * i }));
      const batch = toBatch(events)!;
      verdicts.push(g.judge(batch.paths, judgeBy === 'written' ? (batch.firstWrittenAt ?? batch.firstAt) : batch.firstAt));
      tick = seenAt;
    }
    return verdicts;
  }

  it('a checkout found over several poll rounds is never a loop: judged by when its files were written', () => {
    expect(pollRounds('written').map((v) => v.kind)).toEqual(Array(12).fill('build'));
  });

  it('(why: judged by when polling saw them, the poll grid makes the same rounds look like a loop)', () => {
    expect(pollRounds('seen').some((v) => v.kind === 'suspect')).toBe(true);
  });
});

describe('loopPattern (the rule)', () => {
  const trigger = (delayMs: number, at: number, files = ['/r/gen.go']): Trigger => ({ files: new Set(files), delayMs, at });

  it('the same file at the same time after each start, the cycles themselves uneven: a loop', () => {
    const ts = [trigger(300, 900), trigger(310, 3100), trigger(290, 5000), trigger(305, 7500), trigger(300, 9600)];
    expect(loopPattern(ts, 5)).toEqual({ files: ['/r/gen.go'], cycles: 5, minDelayMs: 290, maxDelayMs: 310, medianDelayMs: 300 });
    expect(loopPattern(ts.slice(1), 5)).toBeUndefined(); // not yet 5 cycles
  });

  it('later than 0.5 s after the start: 8 cycles', () => {
    const ts = [1500, 1510, 1490, 1505, 1500, 1495, 1520, 1500].map((d, i) => trigger(d, (i + 1) * 2000 + d + (i % 3) * 300));
    expect(loopPattern(ts.slice(0, 7), 5)).toBeUndefined();
    expect(loopPattern(ts, 5)).toMatchObject({ cycles: 8, minDelayMs: 1490, maxDelayMs: 1520 });
  });

  it('times after the start further apart than the tolerance: not a loop', () => {
    const ts = [trigger(300, 900), trigger(550, 3350), trigger(290, 5000), trigger(305, 7500), trigger(300, 9600)];
    expect(loopPattern(ts, 5)).toBeUndefined();
  });

  it('saves steadier than their time after the start (a metronome, not a loop): not a loop', () => {
    const ts = [trigger(300, 3000), trigger(350, 6000), trigger(280, 9000), trigger(320, 12_001), trigger(300, 15_000)];
    expect(
      loopPattern(
        ts.map((t, i) => ({ ...t, at: t.at + (i % 2) * 200 })),
        5,
      ),
    ).toBeDefined(); // the same, the cycles uneven: a loop
    expect(loopPattern(ts, 5)).toBeUndefined();
  });

  it('a file that changed only once among them (a change from elsewhere in between): not a loop', () => {
    const ts = [trigger(5, 600), trigger(5, 1300, ['/r/a.go']), trigger(5, 1900), trigger(6, 2700), trigger(5, 3200)];
    expect(loopPattern(ts, 5)).toBeUndefined();
  });

  it('an app that writes a.go at one start and b.go at the next: a loop of both', () => {
    const ts = [600, 1300, 1900, 2700, 3200].map((at, i) => trigger(5 + (i % 2), at, [i % 2 ? '/r/b.go' : '/r/a.go']));
    expect(loopPattern(ts, 5)).toMatchObject({ files: ['/r/a.go', '/r/b.go'], cycles: 5 });
  });

  it('each file edited once, then all of them at once: no file repeats, not a loop (the file seen twice is not a repeat)', () => {
    const one = (f: string, i: number) => trigger(100 + (i % 2) * 5, 600 + i * 700 + (i % 3) * 900, [f]);
    const ts = ['/r/p3.go', '/r/p4.go', '/r/p5.go', '/r/p6.go'].map(one);
    const all = ['/r/p1.go', '/r/p2.go', '/r/p3.go', '/r/p4.go', '/r/p5.go', '/r/p6.go'];
    expect(loopPattern([...ts, trigger(100, 6000, all)], 5)).toBeUndefined();
    expect(loopPattern([...ts.slice(1), trigger(100, 6000, all), trigger(104, 8200, all)], 5)).toBeUndefined();
    // A dependency added (go.mod, go.sum, a .go file), then a branch switched twice: not a loop either.
    const dep = ['/r/go.mod', '/r/go.sum', '/r/ver.go'];
    const checkout = [...dep, '/r/gen.go', '/r/.env', '/r/page.html'];
    const mixed = [['/r/page.html'], dep, dep, checkout, checkout].map((f, i) => trigger(100 + i, 600 + i * 1500 + (i % 2) * 700, f));
    expect(loopPattern(mixed, 5)).toBeUndefined();
  });

  it('an app that takes turns with its files (a.go and stamp.go, then b.go): a loop of all of them', () => {
    const turns = [['/r/a.go', '/r/stamp.go'], ['/r/b.go']];
    const ts = [600, 1300, 1900, 2700, 3200].map((at, i) => trigger(5, at, turns[i % 2]!));
    expect(loopPattern(ts, 5)).toMatchObject({ files: ['/r/a.go', '/r/b.go', '/r/stamp.go'], cycles: 5 });
    // A turn that does not come back as it was: not a loop.
    expect(loopPattern([...ts.slice(0, 4), trigger(5, 3200, ['/r/a.go'])], 5)).toBeUndefined();
  });

  it('a version that came back (A, B, A): not a loop; the same version again and again, or each new: a loop', () => {
    const ts = (versions: (string | undefined)[]) =>
      [600, 1300, 1900, 2700, 3200].map((at, i) => ({ ...trigger(100, at), version: versions[i] }));
    expect(loopPattern(ts(['a', 'b', 'a', 'b', 'a']), 5)).toBeUndefined();
    expect(loopPattern(ts(['v1', 'v2', 'v3', 'v4', 'v1']), 5)).toBeUndefined();
    expect(loopPattern(ts(['v1', 'v2', 'v3', 'v4', 'v5']), 5)).toBeDefined();
    expect(loopPattern(ts(['e', 'e', 'e', 'e', 'e']), 5)).toBeDefined();
    expect(loopPattern(ts([undefined, 'v2', undefined, 'v4', undefined]), 5)).toBeDefined();
  });

  it('files in all the triggers are the loop’s; one that came along twice is not named', () => {
    const ts = [600, 1300, 1900, 2700, 3200].map((at, i) =>
      trigger(5, at, i === 1 || i === 3 ? ['/r/gen.go', '/r/main.go'] : ['/r/gen.go']),
    );
    expect(loopPattern(ts, 5)).toMatchObject({ files: ['/r/gen.go'] });
  });
});
