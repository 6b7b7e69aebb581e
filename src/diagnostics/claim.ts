/**
 * Whether `hotwatch run` could take the root: another hotwatch already running there makes it exit 2,
 * said at info (that one serves; the rest of the report is about this root as it runs).
 * The doctor asks the lock's holder for its pid (root-lock.ts) without taking the lock, so a hotwatch
 * starting meanwhile is never refused because the doctor looked.
 */
import { readCmdline } from '../os/procfs.js';
import { rootHolder } from '../root-lock.js';
import type { Check } from './report-schema.js';

export async function claimCheck(root: string): Promise<Check> {
  const title = 'One hotwatch per root';
  let holder: number | 'unnamed' | undefined;
  try {
    holder = await rootHolder(root);
  } catch (e) {
    return { id: 'run.claim', title, status: 'info', detail: `could not check the lock on ${root}: ${(e as Error).message}` };
  }
  if (holder === undefined) return { id: 'run.claim', title, status: 'ok', detail: `no hotwatch runs on ${root}` };
  if (holder === 'unnamed') {
    return {
      id: 'run.claim',
      title,
      status: 'fail',
      detail: `a process holds hotwatch's lock on ${root} and did not say its pid: \`hotwatch run\` here would exit 2`,
      fix: { text: 'Stop the other hotwatch on this root first (Ctrl-C in its terminal).' },
    };
  }
  // Not a failure: the doctor is asked along the way while that hotwatch serves (its own messages point
  // here), and "broken" (exit 2) would read as "the app will not start" about an app that serves.
  return {
    id: 'run.claim',
    title,
    status: 'info',
    detail: `a hotwatch (pid ${holder}: ${readCmdline(holder)}) runs on ${root}: \`hotwatch status\` says how it is doing; a second \`hotwatch run\` here would exit 2 until it stops (Ctrl-C in its terminal, or kill ${holder})`,
  };
}
