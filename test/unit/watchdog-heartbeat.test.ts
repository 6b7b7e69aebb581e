/** The native watcher's liveness rules (pure, fake clock). */
import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../src/watch/native/heartbeat.js';
import { echoVerdict, type Liveness } from '../../src/watch/native/liveness.js';

const T = { intervalMs: 1000, deadlineMs: 5000 };
const stats = (watches: number | undefined, inodes: number, over: object = {}) => ({
  dirs: inodes,
  inodes,
  watches,
  watchesFresh: true,
  rawEvents: 0,
  idle: true,
  ...over,
});

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

  it('this thread stalled too (SIGSTOP): the stalled time is forgiven, not a hang', () => {
    const h = new Heartbeat(T, 0);
    const forgiven: number[] = [];
    expect(h.beat(9000, 0, (at) => forgiven.push(at))).toEqual({ ping: { audit: false } });
    expect(forgiven).toEqual([8000]); // 9 s gap, one interval of it is owed: the last answer moves to 8,000
    // The worker answered the ping queued before the stop: all is well on the next beat.
    expect(h.beat(10_000, 9010, () => forgiven.push(-1))).toEqual({ ping: { audit: false } });
    expect(forgiven).toEqual([8000]);
  });

  it('a host late on every beat (a hung worker spinning on a busy machine) still reaches the verdict', () => {
    // Seen under load: every 100 ms beat came more than 300 ms late, each was forgiven whole, and a
    // spinning worker was never called hung. Only the lateness is forgiven: one interval counts per beat.
    const h = new Heartbeat({ intervalMs: 100, deadlineMs: 1000 }, 0);
    let lastAnswer = 0;
    let verdict: ReturnType<Heartbeat['beat']> = { ping: { audit: false } };
    let beats = 0;
    for (let now = 400; beats < 50 && !('hung' in verdict); now += 400, beats++) {
      verdict = h.beat(now, lastAnswer, (at) => (lastAnswer = at));
    }
    expect(verdict).toEqual({
      hung: expect.stringMatching(/did not answer for 1100ms \(deadline 1000ms, and 3300ms more while this thread was stalled too\)/),
    });
    expect(beats).toBe(11); // 11 beats × 100 ms counted > 1,000 ms
  });

  it('quiet pings (issue 19): a long wait between answered pings is no silence; an unanswered one is judged from its ping', () => {
    const h = new Heartbeat(T, 0);
    const forgive = () => undefined;
    expect(h.beat(1000, 0, forgive)).toEqual({ ping: { audit: false } });
    // Answered at 1,010; the next ping 30 s later, on time (dueAt): not 29 s of silence, not a stall.
    expect(h.owed(1010)).toBe(false);
    expect(h.beat(31_000, 1010, forgive, 31_000)).toEqual({ ping: { audit: false } });
    expect(h.owed(1010), 'the ping at 31 s is unanswered').toBe(true);
    // No answer: judged every second from the ping; hung once 5 s have passed since one interval before it.
    for (let t = 32_000; t <= 34_000; t += 1000) expect(h.beat(t, 1010, forgive, t)).toEqual({ ping: { audit: false } });
    expect(h.beat(35_000, 1010, forgive, 35_000)).toEqual({ ping: { audit: false } });
    expect(h.beat(35_100, 1010, forgive, 35_100)).toEqual({ hung: expect.stringMatching(/did not answer for 5100ms \(deadline 5000ms\)/) });
  });

  it('a quiet wait that came late (this thread stopped) is forgiven beyond its planned time only', () => {
    const h = new Heartbeat(T, 0);
    const forgiven: number[] = [];
    expect(h.beat(1000, 1000, () => undefined)).toEqual({ ping: { audit: false } });
    // Planned for 31 s, came at 40 s: 9 s stalled; the ping at 1 s was answered at 1,005.
    expect(h.beat(40_000, 1005, (at) => forgiven.push(at), 31_000)).toEqual({ ping: { audit: false } });
    expect(forgiven).toEqual([10_005]);
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

describe('Heartbeat.owedFor: how long a ping has gone unanswered', () => {
  it('none owed while every ping was answered; from the first unanswered ping of a streak', () => {
    const h = new Heartbeat(T, 0);
    const forgive = () => undefined;
    expect(h.owedFor(500, 0)).toBeUndefined(); // nothing asked yet
    h.beat(1000, 0, forgive);
    expect(h.owedFor(1500, 0)).toBe(500);
    expect(h.owedFor(1500, 1010)).toBeUndefined(); // answered
    h.beat(2000, 1010, forgive);
    h.beat(3000, 1010, forgive); // two pings unanswered: owed since the first
    expect(h.owedFor(3500, 1010)).toBe(1500);
  });
});

describe('echoVerdict: what a late sentinel echo means', () => {
  const live = (over: Partial<Liveness>): Liveness => ({ silentMs: 100, idle: true, pingMs: 1000, owedMs: undefined, ...over });

  it('answered within two ping intervals, or since the sentinel went out: deaf', () => {
    expect(echoVerdict(live({ silentMs: 1900 }), 2000, 2000)).toBe('deaf');
    expect(echoVerdict(live({ silentMs: 2500, owedMs: 2400 }), 3000, 2000)).toBe('deaf'); // answered after the write
  });

  it('silent since the write with no ping asked (the heartbeat pinged just before the round): ask, never hung', () => {
    // The flake this fixes: 2,001 ms silent, the last ping answered just before the sentinel went out.
    expect(echoVerdict(live({ silentMs: 2001 }), 1990, 2000)).toBe('ask');
    expect(echoVerdict(live({ silentMs: 40_000 }), 2500, 2000)).toBe('ask');
  });

  it('a ping owed: wait up to two ping intervals, then hung', () => {
    expect(echoVerdict(live({ silentMs: 30_000, owedMs: 1500 }), 2500, 2000)).toBe('wait');
    expect(echoVerdict(live({ silentMs: 30_000, owedMs: 2001 }), 2500, 2000)).toBe('hung');
    expect(echoVerdict(live({ silentMs: Number.POSITIVE_INFINITY, owedMs: Number.POSITIVE_INFINITY }), 2500, 2000)).toBe('hung'); // no worker
  });

  it('busy resolving a burst: wait, for at most 10 intervals', () => {
    expect(echoVerdict(live({ idle: false }), 5000, 2000)).toBe('wait');
    expect(echoVerdict(live({ idle: false }), 20_000, 2000)).toBe('deaf');
    expect(echoVerdict(undefined, 5000, 2000)).toBe('deaf');
  });
});
