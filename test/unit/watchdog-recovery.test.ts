/** The watchdog's recovery policy (pure state machine, fake clock). */
import { describe, expect, it } from 'vitest';
import { RecoveryPolicy } from '../../src/watch/watchdog/recovery-policy.js';

const cfg = { intervalMs: 1000, auditIntervalMs: 5000, maxAttempts: 3 };
const loss = (over: object = {}) => ({
  scope: 'root' as const,
  path: '/r',
  cause: 'sentinel-timeout' as const,
  selfHealing: false,
  watermark: 42,
  ...over,
});

describe('RecoveryPolicy', () => {
  it('a loss is reported once; an attempt is due at once and the scope is not healthy meanwhile', () => {
    const r = new RecoveryPolicy(cfg);
    expect(r.healthy('/r')).toBe(true);
    expect(r.lost('/r', loss(), 100)).toBe('new');
    expect(r.lost('/r', loss({ cause: 'coverage-shortfall' }), 150)).toBe('known');
    expect(r.healthy('/r')).toBe(false);
    expect(r.due(100).map((d) => [d.key, d.action])).toEqual([['/r', 'rearm']]);
    r.begin('/r');
    expect(r.due(5000)).toEqual([]); // busy: never two attempts at once
  });

  it('re-armed: healthy again, with the time since the loss and the watermark for the diff', () => {
    const r = new RecoveryPolicy(cfg);
    r.lost('/r', loss(), 100);
    r.begin('/r');
    const done = r.recovered('/r', 350);
    expect(done?.recoveryMs).toBe(250);
    expect(done?.rec.watermark).toBe(42);
    expect(done?.rec.cause).toBe('sentinel-timeout');
    expect(r.healthy('/r')).toBe(true);
    expect(r.recovered('/r', 400)).toBeUndefined(); // nothing left to recover
  });

  it('failed attempts retry one interval later; the third failure falls back to polling', () => {
    const r = new RecoveryPolicy(cfg);
    r.lost('/r', loss(), 0);
    r.begin('/r');
    expect(r.attemptFailed('/r', 10)).toBe('retry');
    expect(r.due(500)).toEqual([]);
    expect(r.due(1010).map((d) => d.action)).toEqual(['rearm']);
    r.begin('/r');
    expect(r.attemptFailed('/r', 1020)).toBe('retry');
    r.begin('/r');
    expect(r.attemptFailed('/r', 2030)).toBe('fallback');
    r.fellBack('/r', 2040);
    expect(r.get('/r')?.phase).toBe('polling');
    expect(r.healthy('/r')).toBe(false);
  });

  it('polling: native is probed every auditInterval (bounded, never faster than the interval) until it works', () => {
    const r = new RecoveryPolicy(cfg);
    r.fellBack('/r', 0, { scope: 'root', path: '/r', cause: 'watch-limit' });
    expect(r.due(4999)).toEqual([]);
    expect(r.due(5000).map((d) => d.action)).toEqual(['probe']);
    r.begin('/r');
    r.probeFailed('/r', 5000);
    expect(r.due(9999)).toEqual([]);
    expect(r.due(10_000).map((d) => d.action)).toEqual(['probe']);
    r.begin('/r');
    expect(r.recovered('/r', 10_100)?.recoveryMs).toBe(10_100);
    expect(r.healthy('/r')).toBe(true);
    const fast = new RecoveryPolicy({ ...cfg, auditIntervalMs: 10 });
    fast.fellBack('/r', 0, { scope: 'root', path: '/r', cause: undefined });
    expect(fast.due(999)).toEqual([]); // auditInterval below the interval: probes stay one interval apart
  });

  it('a self-healing loss waits for the backend (no attempts), and keeps its driver when reported again', () => {
    const r = new RecoveryPolicy(cfg);
    expect(r.lost('/r', loss({ cause: 'root-replaced', selfHealing: true }), 0)).toBe('new');
    expect(r.due(60_000)).toEqual([]);
    expect(r.get('/r')?.selfHealing).toBe(true);
    const w = new RecoveryPolicy(cfg);
    w.lost('/r', loss(), 0);
    expect(w.lost('/r', loss({ cause: 'heartbeat-timeout', selfHealing: true }), 10)).toBe('known');
    expect(w.get('/r')?.selfHealing).toBe(false); // the watchdog still drives (its re-arm attempts count)
  });

  it('scopes are independent: a mount can be deaf while the root is healthy; forget drops one', () => {
    const r = new RecoveryPolicy(cfg);
    r.lost('/r/src', loss({ scope: 'mount', path: '/r/src', cause: 'mount-changed' }), 0);
    expect(r.healthy('/r')).toBe(true);
    expect(r.healthy('/r/src')).toBe(false);
    r.forget('/r/src');
    expect(r.keys()).toEqual([]);
  });
});
