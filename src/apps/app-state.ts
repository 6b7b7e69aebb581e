/** The one job state that stands for several apps' (status readers that know one app): the least settled wins. */
import type { JobSnapshot } from '../supervisor/job-state.js';

/** Busy states first (something is happening), then waiting for a restart, then down, then running. */
const RANK: Record<JobSnapshot['name'], number> = { stopped: 0, building: 1, stopping: 2, starting: 3, backoff: 4, idle: 5, running: 6 };

export function aggregateState(states: readonly JobSnapshot[]): JobSnapshot {
  const sorted = [...states].sort((a, b) => RANK[a.name] - RANK[b.name] || b.since - a.since);
  return sorted[0] ?? { name: 'idle', since: Date.now(), why: 'not-started' };
}
