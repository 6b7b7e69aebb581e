/**
 * Not a loop (e2e: real go build, real processes): a script that switches between two branches right
 * after each version serves (the same files each time, at the same time after each start: a build loop's
 * timing). Each checkout brings back a version that ran before (A, B, A...), and a loop's writer makes
 * each start run a new binary (self-trigger-pattern.ts, rule 4): no build loop is reported, no save is
 * held, every checkout serves at once. A script writing new content each time still looks like a loop
 * (self-trigger.test.ts: "a script that saves a fixed time after each version serves").
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';

const FILES = 200;

/** The tree of branch `tag`: main.go serving "v=<tag>", and a package of FILES files that say the tag too. */
function checkout(dir: string, tag: string): void {
  fs.writeFileSync(path.join(dir, 'main.go'), goMain(tag, { imports: ['example.com/e2e/gen'], extraMain: '_ = gen.C0' }));
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(dir, 'gen', `f${i}.go`), `package gen\n\n// ${tag}\nconst C${i} = "${tag}"\n`);
}

describe('a script that checks out another branch right after each version serves (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.mkdirSync(path.join(dir, 'gen'));
    checkout(dir, 'A');
  });

  it('is not called a build loop: each checkout brings back a version that ran before; all serve, none held', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('A');
    for (let round = 0; round < 5; round++) {
      for (const tag of ['B', 'A']) {
        checkout(session.dir, tag);
        await session.serves(tag);
      }
    }
    expect(hw.events('build.loop').map((l) => l.msg)).toEqual([]);
    expect(hw.events('build.loop-held').map((l) => l.msg)).toEqual([]);
  }, 240_000);
});
