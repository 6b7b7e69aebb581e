/** The native watcher's liveness rules (pure, fake clock). */
import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../src/watch/heartbeat.js';

const T = { intervalMs: 1000, deadlineMs: 5000 };
const stats = (watches: number | undefined, inodes: number, over: object = {}) => ({ dirs: inodes, inodes, watches, watchesFresh: true, rawEvents: 0, idle: true, ...over });

describe('Heartbeat', () => {
  it('pings while the worker answers; silent past the deadline = hung', () => {
    const h = new Heartbeat(T, 0);
    const forgive = () => undefined;
    expect(h.beat(1000, 900, forgive)).toEqual({ ping: { audit: false } });
    expect(h.beat(2000, 900, forgive)).toEqual({ ping: { audit: false } });
    let v = h.beat(3000, 900, forgive);
    for (let t = 4000; t <= 5000; t += 1000) v = h.beat(t, 900, forgive);
    expect(v).toEqual({ ping: { audit: false } }); // 4,100 ms silent: not yet
    const hung = h.beat(6000, 900, forgive);
    expect(hung).toEqual({ hung: expect.stringMatching(/did not answer for 5100ms \(deadline 5000ms\): it is hung/) });
  });

  it('this thread stalled too (SIGSTOP): the silence is forgiven, not a hang', () => {
    const h = new Heartbeat(T, 0);
    let forgiven = 0;
    expect(h.beat(9000, 0, () => forgiven++)).toEqual({ ping: { audit: false } });
    expect(forgiven).toBe(1);
  });

  it('coverage: lost only after two short readings in a row; the second is asked for at once', () => {
    const h = new Heartbeat(T, 0);
    expect(h.audit(stats(10, 10))).toBeUndefined();
    expect(h.audit(stats(7, 10))).toBeUndefined();
    expect(h.beat(1000, 1000, () => undefined)).toEqual({ ping: { audit: true } });
    expect(h.audit(stats(7, 10))).toMatch(/the kernel holds 7 inotify watches for the 10 directories/);
    h.reset(2000);
    expect(h.audit(stats(7, 10))).toBeUndefined(); // a fresh worker starts over
    expect(h.audit(stats(10, 10))).toBeUndefined();
    expect(h.audit(stats(7, 10))).toBeUndefined();
  });

  it('readings taken while busy, stale, or unreadable (/proc hidden) never count', () => {
    const h = new Heartbeat(T, 0);
    for (let i = 0; i < 3; i++) {
      expect(h.audit(stats(1, 10, { idle: false }))).toBeUndefined();
      expect(h.audit(stats(1, 10, { watchesFresh: false }))).toBeUndefined();
      expect(h.audit(stats(undefined, 10))).toBeUndefined();
    }
  });
});
