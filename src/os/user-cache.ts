/**
 * hotwatch's per-user cache directory ($HOTWATCH_CACHE_DIR, $XDG_CACHE_HOME/hotwatch or ~/.cache/hotwatch),
 * and the check that makes what is found in a directory trustworthy: the built helpers (go-helper.ts) and
 * the remembered first builds (startup/first-build-plan.ts) are run from what is kept there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { myUid, octal } from './safe-fs.js';

/** Where built helpers and remembered first builds are kept: $HOTWATCH_CACHE_DIR, $XDG_CACHE_HOME/hotwatch or ~/.cache/hotwatch. */
export function helperCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOTWATCH_CACHE_DIR) return env.HOTWATCH_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'hotwatch');
}

/**
 * `dir` (created 0700 when missing) as a directory only we can change: its real path when it is ours and
 * not writable by group or others, and no parent lets anyone else rename it away (each parent is ours or
 * root's, and not writable by others unless sticky, as /tmp is); else why not.
 */
export function trustedDir(dir: string): { dir: string } | { why: string } {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    return { why: `cannot be created (${errnoCode(e) ?? String(e)})` };
  }
  let real: string;
  let st: fs.Stats;
  try {
    real = fs.realpathSync(dir);
    st = fs.statSync(real);
  } catch (e) {
    return { why: `cannot be read (${errnoCode(e) ?? String(e)})` };
  }
  const uid = myUid();
  if (!st.isDirectory()) return { why: 'is not a directory' };
  if (uid !== undefined && st.uid !== uid) return { why: `is owned by uid ${st.uid}, not by you` };
  if (st.mode & 0o022) return { why: `is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${octal(st.mode)})` };
  for (let d = path.dirname(real); ; d = path.dirname(d)) {
    let p: fs.Stats;
    try {
      p = fs.statSync(d);
    } catch (e) {
      return { why: `sits in ${d}, which cannot be read (${errnoCode(e) ?? String(e)})` };
    }
    if (uid !== undefined && p.uid !== uid && p.uid !== 0) return { why: `sits in ${d}, owned by uid ${p.uid}, who could replace it` };
    if (p.mode & 0o002 && !(p.mode & 0o1000))
      return { why: `sits in ${d}, which anyone may write into (mode ${octal(p.mode)}, no sticky bit): it could be replaced` };
    if (path.dirname(d) === d) break;
  }
  return { dir: real };
}
