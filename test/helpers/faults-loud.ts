/**
 * "A loud diagnosis" (the issue 3 log contract, README "Never silent"): a watchdog event at level ≥ 40
 * whose structured fields name the cause and path, and whose text says what happened and the fix where
 * there is one. Plus the outcome race "serves OR diagnosed" for cases where either is acceptable.
 */
import { expect } from 'vitest';
import type { Hotwatch, LogLine } from './hotwatch.js';
import { httpGet } from './hotwatch.js';
import { waitFor } from './wait.js';

/** The contract's watchdog events that can carry a loss or a fallback. */
export const LOUD_EVENTS = ['watch.deaf', 'watch.fallback', 'watch.budget'] as const;

export interface LoudSpec {
  /** Acceptable event names (default LOUD_EVENTS). */
  events?: readonly string[];
  /** Acceptable `cause` values (watch.deaf); lines without a cause field match only when this is unset. */
  causes?: readonly string[];
  /** The line's `path` field or its msg must contain this. */
  path?: string;
  /** Must match msg + hint (e.g. the sysctl fix). */
  fix?: RegExp;
  /** Extra predicate (e.g. `fits === false`). */
  where?: (l: LogLine) => boolean;
  minLevel?: number;
}

const text = (l: LogLine) => `${l.msg} ${typeof l.hint === 'string' ? l.hint : ''} ${typeof l.reason === 'string' ? l.reason : ''}`;

export function isLoud(l: LogLine, spec: LoudSpec): boolean {
  if (l.level < (spec.minLevel ?? 40)) return false;
  if (!(spec.events ?? LOUD_EVENTS).includes(l.event ?? '')) return false;
  if (spec.causes && !spec.causes.includes(String(l.cause))) return false;
  if (spec.path && !(String(l.path ?? '').includes(spec.path) || l.msg.includes(spec.path))) return false;
  if (spec.fix && !spec.fix.test(text(l))) return false;
  if (spec.where && !spec.where(l)) return false;
  return true;
}

export function describeSpec(spec: LoudSpec): string {
  return (
    `a loud diagnosis: level ≥ ${spec.minLevel ?? 40}, event ∈ {${(spec.events ?? LOUD_EVENTS).join(', ')}}` +
    `${spec.causes ? `, cause ∈ {${spec.causes.join(', ')}}` : ''}${spec.path ? `, naming ${spec.path}` : ''}` +
    `${spec.fix ? `, with the fix ${spec.fix}` : ''}`
  );
}

/** Waits for a loud diagnosis logged at or after index `from`; checks it reads like one. */
export async function waitForLoud(hw: Hotwatch, spec: LoudSpec, opts: { from?: number; timeoutMs: number }): Promise<LogLine> {
  const line = await hw.waitForLog((l) => isLoud(l, spec), describeSpec(spec), opts);
  expectReadable(line);
  return line;
}

/** The text of a diagnosis is a sentence, not a stack trace, and is not the misleading EMFILE text alone. */
export function expectReadable(l: LogLine): void {
  expect(l.msg.length, `diagnosis has a message: ${JSON.stringify(l)}`).toBeGreaterThan(20);
  expect(l.msg, 'the message is not a stack trace').not.toMatch(/\n\s+at /);
}

/**
 * A diagnosis that says hotwatch is recovering by itself (re-arming, rescanning) promises the edit will
 * serve: a case that got such a line must still see the edit served ("prefer the final edit serves").
 */
export function claimsRecovery(l: LogLine): boolean {
  return /re-?arm|rescan/i.test(l.msg);
}

/** The first of: GET / answers `expected`, or a loud diagnosis matching `spec` (from index `from`). */
export async function servesOrLoud(
  hw: Hotwatch,
  port: number,
  expected: string,
  spec: LoudSpec,
  opts: { from: number; timeoutMs: number; description: string },
): Promise<{ served: true } | { served: false; line: LogLine }> {
  let last: string | undefined;
  try {
    return await waitFor(
      async () => {
        const line = hw.logs.slice(opts.from).find((l) => isLoud(l, spec));
        if (line) return { served: false as const, line };
        last = await httpGet(port);
        return last === expected ? { served: true as const } : undefined;
      },
      {
        description: `${opts.description}: GET / answers "${expected}", or ${describeSpec(spec)}`,
        timeoutMs: opts.timeoutMs,
        intervalMs: 100,
      },
    );
  } catch (e) {
    throw new Error(
      `${(e as Error).message}; last answer ${JSON.stringify(last)}\n--- hotwatch log (tail) ---\n${hw.stderr().slice(-4000)}`,
    );
  }
}

/**
 * Never silent: when the first build after an edit (logged at or after `editFrom`) was started by a rescan
 * rather than by the edit's own event, the watcher had lost it, and that loss must have been reported as a
 * watch.deaf/watch.fallback at level ≥ 40 somewhere after `lossFrom`.
 */
export function expectLossWasLoud(hw: Hotwatch, lossFrom: number, editFrom: number, what: string): void {
  const i = hw.logs.findIndex((l, k) => k >= editFrom && l.event === 'build.start');
  if (i < 0) return;
  const b = hw.logs[i]!;
  const rescan = Array.isArray(b.rescan) ? (b.rescan as unknown[]) : [];
  if (rescan.length === 0) return;
  const loud = hw.logs.slice(lossFrom, i + 1).some((l) => l.level >= 40 && ['watch.deaf', 'watch.fallback'].includes(String(l.event)));
  expect(
    loud,
    `${what} was found only by a rescan ("${String(b.trigger)}"): the watcher had lost it, and that loss must be loud ` +
      `(watch.deaf or watch.fallback at level ≥ 40), not silent:\n${summarize(hw.logs.slice(lossFrom, i + 1))}`,
  ).toBe(true);
}

/**
 * Contract hygiene, checked at the end of every case: sentinel and probe files never trigger a build (no
 * build.start names them), and watchdog.tick is never logged at info or above.
 */
export function expectNoSentinelBuilds(hw: Hotwatch): void {
  for (const l of hw.events('build.start')) {
    expect(String(l.trigger), 'a build triggered by a sentinel/probe file').not.toMatch(/hotwatch-sentinel|\.hotwatch\//);
  }
  for (const l of hw.events('watchdog.tick')) expect(l.level, 'watchdog.tick above debug').toBeLessThan(30);
}

/** The log lines from index `from`, one per line, short (for failure messages and informational output). */
export function summarize(lines: LogLine[]): string {
  return lines.map((l) => `${l.level} ${l.event ?? '-'} ${l.cause ?? ''} ${l.msg}`.slice(0, 300)).join('\n');
}
