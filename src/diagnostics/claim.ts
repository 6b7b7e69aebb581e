/**
 * Whether `hotwatch run` could take the root: another hotwatch already running there makes it exit 2.
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
  return {
    id: 'run.claim',
    title,
    status: 'fail',
    detail: `another hotwatch (pid ${holder}: ${readCmdline(holder)}) already runs on ${root}: \`hotwatch run\` here would exit 2`,
    fix: { text: `Stop it first (Ctrl-C in its terminal), or: kill ${holder}`, commands: [`kill ${holder}`] },
  };
}
