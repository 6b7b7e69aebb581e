/**
 * The watcher thread's liveness as the watchdog reads it, and what a sentinel echo that did not come
 * back in time means (pure: the caller passes the liveness and the echo's age). A watcher that answered within two ping intervals is alive, so a
 * missing echo is deafness. Longer silence alone is not a hang: the sentinel guard and the worker's
 * heartbeat keep separate paces, and a quiet round's own ping is skipped when the heartbeat pinged less
 * than an interval before it, so the watcher may simply not have been asked since. It is a hang only
 * when a ping is owed: asked, and not answered for two intervals.
 *   - silent, a ping unanswered for more than two intervals → 'hung' (the thread or its helper stopped);
 *   - silent, a ping unanswered for less → 'wait' (looked at again at the base pace);
 *   - silent, nothing asked → 'ask' (ping now; the answer, or its absence, decides at the next look);
 *   - the thread busy resolving a burst → 'wait', at most 10 intervals (the echo is queued behind it);
 *   - otherwise → 'deaf': the watcher answers, the echo did not come.
 */

/** How long the watcher thread has been silent, and whether it was idle at its last answer. */
export interface Liveness {
  silentMs: number;
  idle: boolean;
  /** The heartbeat's ping interval. */
  pingMs: number;
  /** How long a ping has gone unanswered (ms); undefined when none is owed (silence may then be a long wait between pings). */
  owedMs: number | undefined;
}

export type EchoVerdict = 'hung' | 'wait' | 'ask' | 'deaf';

export function echoVerdict(live: Liveness | undefined, ageMs: number, intervalMs: number): EchoVerdict {
  if (!live) return 'deaf';
  if (live.silentMs > 2 * live.pingMs && live.silentMs >= ageMs) {
    if (live.owedMs === undefined) return 'ask';
    return live.owedMs > 2 * live.pingMs ? 'hung' : 'wait';
  }
  if (!live.idle && ageMs < 10 * intervalMs) return 'wait';
  return 'deaf';
}
