/**
 * Bounded staleness under edits that never stop (issue 14, e2e: real go build, real HTTP). One edit every
 * 0.5 s for 30 s, with builds slower than that (`sleep 0.8 && go build`): cancel-on-change alone would
 * cancel every build and serve the first version throughout. A build that started debounce.maxWait or
 * more after the oldest change not yet served is let finish, so the served version moves on every few
 * seconds, and the last edit serves at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, httpGet, startHotwatch, writeGoApp } from '../helpers/hotwatch.js';

const EDIT_EVERY_MS = 500;
const EDITING_MS = 30_000;
/** The rule's bound is maxWait (1 s) + two builds (~1.5 s each here) + stop and start: allow for a busy machine. */
const LONGEST_STALL_MS = 15_000;

const session = hotwatchSession((dir) => {
  writeGoApp(dir, 'v0');
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), "build:\n  cmd: 'sleep 0.8 && go build -o .hotwatch/bin/app .'\n");
});

describe('edits that never stop (e2e)', () => {
  it('one edit every 0.5 s for 30 s, builds slower than that: the served version advances every few seconds; the last edit serves', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v0');
    const mark = hw.logs.length;

    // What serves, polled every 100 ms while the edits go on: [ms since the first edit, version].
    const seen: [number, number][] = [];
    const t0 = Date.now();
    let editing = true;
    const polling = (async () => {
      while (editing) {
        const body = await httpGet(session.port);
        const v = body?.startsWith('v=v') ? Number(body.slice(3)) : undefined;
        if (v !== undefined && v !== seen.at(-1)?.[1]) seen.push([Date.now() - t0, v]);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let last = 0;
    for (let next = t0; Date.now() - t0 < EDITING_MS; next += EDIT_EVERY_MS) {
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      fs.writeFileSync(path.join(session.dir, 'main.go'), goMain(`v${++last}`));
    }
    const editsEndedAt = Date.now() - t0;
    editing = false;
    await polling;

    await session.serves(`v${last}`);
    const versions = seen.map(([, v]) => v);
    const report = `${last} edits; served (ms, version): ${JSON.stringify(seen)}`;
    expect(versions, report).toEqual([...versions].sort((a, b) => a - b)); // never backwards
    // The served version moved on while the edits went on, never standing still for long.
    const changes = [0, ...seen.map(([at]) => at).filter((at) => at > 0), editsEndedAt];
    const stalls = changes.slice(1).map((at, i) => at - changes[i]!);
    expect(Math.max(...stalls), report).toBeLessThan(LONGEST_STALL_MS);
    expect(seen.filter(([at, v]) => v > 0 && at < editsEndedAt).length, report).toBeGreaterThanOrEqual(4);
    // Bursts still cancel: most builds were canceled, some were let finish.
    expect(hw.events('build.superseded', mark).length, report).toBeGreaterThan(0);
    expect(hw.events('build.kept', mark).length, report).toBeGreaterThan(0);
  }, 120_000);
});
