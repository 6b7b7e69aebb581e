/**
 * Issue 14 (2): every catchable signal whose default action would kill hotwatch stops the app first. Ctrl-\
 * (SIGQUIT) used to kill hotwatch on the spot, silently, and leave the app running on its port (the app is
 * in its own process group, so the terminal's signal never reached it). Now: the same stop as Ctrl-C, the
 * port free, the log true, and exit 128+n so a script still sees which signal ended it.
 */
import net from 'node:net';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { isAlive } from '../helpers/wait.js';

const session = hotwatchSession();

/** The port can be bound again: nothing listens on it any more. */
const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

describe('terminating signals stop the app before hotwatch exits', () => {
  it.each(['SIGQUIT', 'SIGUSR2', 'SIGALRM'] as const)(
    '%s: the app is stopped, the port free, exit 128+n, and the log says so',
    async (sig) => {
      const hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } });
      session.hw = hw;
      await session.serves('v1');
      const app = Number((await hw.waitForLog((l) => l.event === 'app.start', 'the app started')).pid);
      hw.proc.kill(sig);
      const r = await hw.exited;
      session.hw = undefined;
      try {
        expect(r, hw.stderr().slice(-3000)).toEqual({ code: 128 + os.constants.signals[sig], signal: null });
        expect(isAlive(app), 'the app outlived hotwatch').toBe(false);
        expect(await portFree(session.port), 'the port is still held').toBe(true);
        expect(hw.events('shutdown').map((l) => l.signal)).toEqual([sig]);
        const exit = hw.events('exit')[0];
        expect(exit?.msg).toMatch(/stopped; nothing left running/);
        expect(exit?.msg).toContain(sig);
      } finally {
        if (isAlive(app)) process.kill(app, 'SIGKILL');
      }
    },
  );
});
