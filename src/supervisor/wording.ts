/** Small wordings shared by the supervisor's reports. */
import { formatDuration } from '../config/duration.js';
import type { AppExit } from './process.js';

/** 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** Seconds with one decimal, or as many more as the value needs: 1.0 s, 0.1 s, 0.25 s. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  const text = [1, 2, 3].map((d) => s.toFixed(d)).find((t) => Math.abs(Number(t) * 1000 - ms) < 0.5) ?? s.toFixed(3);
  return `${text} s`;
}

export function formatExit(exit: AppExit): string {
  const up = formatDuration(exit.uptimeMs);
  // Not the leader's code: it exited long ago, and how its daemon ended is its parent's (init's) to see.
  if (exit.escaped?.length)
    return `ended after ${up} as hotwatch can see it: its daemon (pid ${exit.escaped.join(', ')}) still runs, but without hotwatch's marker (it replaced its environment), so hotwatch can neither follow nor stop it: kill ${exit.escaped.join(' ')}`;
  if (exit.daemons?.length)
    return `ended after ${up}: its daemon (pid ${exit.daemons.join(', ')}) is gone, how it ended is not known to hotwatch (not its child)`;
  if (exit.outOfMemory)
    return `was killed by SIGKILL after ${up}: out of memory (the kernel's OOM killer ran meanwhile; a container's or cgroup's memory limit counts: hotwatch doctor shows it)`;
  if (exit.signal) return `was killed by ${exit.signal} after ${up}`;
  return `exited with code ${exit.code ?? '?'} after ${up}`;
}

/** Each line indented by four spaces, under the line that introduces them. */
export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
