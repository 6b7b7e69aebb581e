/**
 * A self-triggering app is stopped (issue 14, e2e: real go build, real processes). The app writes gen.go
 * (a new timestamp each time) into the module at each start: every start caused the next build and
 * restart, forever. Within a bounded number of cycles hotwatch says so once, at error, naming the file
 * and the fix, and stops cycling for it; an edit of main.go still builds and serves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch, writeGoApp } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const writesGenAtStart = {
  imports: ['time'],
  extraMain: `_ = os.WriteFile("gen.go", []byte(fmt.Sprintf("package main\\n\\nconst stamp = %q\\n", time.Now().String())), 0o644)`,
};

const session = hotwatchSession((dir) => {
  writeGoApp(dir, 'v1', writesGenAtStart);
  fs.writeFileSync(path.join(dir, 'gen.go'), 'package main\n\nconst stamp = "none"\n');
});

describe('an app that writes a watched file at each start (e2e)', () => {
  it('is stopped within a bounded number of cycles, named once with the fix; an edit of anything else still builds', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const loop = await hw.waitForLog((l) => l.event === 'build.loop', 'the loop is reported');
    expect(loop.level).toBe(50);
    expect(loop.files).toEqual(['gen.go']);
    expect(loop.msg).toMatch(/gen\.go/);
    expect(loop.msg).toMatch(/exclude (it|them) in watch\.exclude, or write (it|them) outside the root/);
    const starts = hw.events('app.start').length;
    const builds = hw.events('build.start').length;
    expect(starts).toBeLessThanOrEqual(8);

    // No more cycles: it restarted every few hundred ms before; now nothing for four such periods.
    const times = hw.events('app.start').map((l) => Date.parse(String(l.time)));
    const period = Math.max(...times.slice(1).map((t, i) => t - times[i]!));
    const quietUntil = Date.now() + 4 * period;
    await waitFor(() => Date.now() >= quietUntil || hw.events('build.start').length > builds, {
      description: 'quiet',
      timeoutMs: 4 * period + 5000,
    });
    expect(hw.events('build.start')).toHaveLength(builds);
    expect(hw.events('app.start')).toHaveLength(starts);
    expect(hw.events('build.loop')).toHaveLength(1);

    // A person's edit of another file builds and serves.
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2', writesGenAtStart));
    await session.serves('v2');
  }, 90_000);
});
