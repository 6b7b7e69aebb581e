/**
 * Finds, or builds once, hotwatch-inotify: the small Go program (src/watch/native/helper/main.go) that
 * holds the native watcher's inotify watches outside V8. Measured on 10,001 directories: 4.5 MB RSS for
 * the helper against ~32 MB for 10,001 fs.watch handles in the watcher thread; and it sees IN_Q_OVERFLOW,
 * which fs.watch drops. Built and checked like every helper of hotwatch (src/os/go-helper.ts: the user's
 * own go, a trusted cache, nothing run on trust). Anything in the way (not Linux, no go, a failed build,
 * a cache dir that cannot execute) is a reason, and the watcher falls back to fs.watch, saying so.
 * Run as a script (`node dist/watch/native/helper/build.js`), it builds the helper ahead of time.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findSourceDir, goHelper, onHelperNotice, type HelperBinary } from '../../../os/go-helper.js';
import type { WatchNotice } from '../../types.js';

export { onHelperNotice, type HelperBinary, type HelperNotice } from '../../../os/go-helper.js';

/** The Go source, wherever this module runs (src/, dist/ or the bundle). */
export function helperSourceDir(): string {
  return findSourceDir(import.meta.url, path.join('src', 'watch', 'native', 'helper'));
}

const INOTIFY_HELPER = { name: 'hotwatch-inotify', label: 'the inotify helper', sourceDir: helperSourceDir };

/** The helper's path, built if needed, or why there is none. HOTWATCH_INOTIFY_HELPER=off turns it off (fs.watch then holds the watches). */
export function inotifyHelper(env: NodeJS.ProcessEnv = process.env): Promise<HelperBinary> {
  // off, and the other ways people write it (false, 0, no): `false` used to be ignored without a word.
  const v = env.HOTWATCH_INOTIFY_HELPER?.trim().toLowerCase();
  if (v === 'off' || v === 'false' || v === '0' || v === 'no')
    return Promise.resolve({ unavailable: `turned off by HOTWATCH_INOTIFY_HELPER=${env.HOTWATCH_INOTIFY_HELPER}` });
  return goHelper(INOTIFY_HELPER, env);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  onHelperNotice((n) => process.stdout.write(`${n.message}\n`));
  const r = await inotifyHelper();
  if ('path' in r) process.stdout.write(`inotify helper: ${r.path}\n`);
  else process.stdout.write(`inotify helper unavailable (fs.watch will hold the watches): ${r.unavailable}\n`);
}

/** Linux without the helper: fs.watch holds the watches, said once (a warning unless turned off on purpose). */
export function helperUnavailable(why: string): WatchNotice {
  const off = why.startsWith('turned off by HOTWATCH_INOTIFY_HELPER=');
  return {
    level: off ? 'info' : 'warn',
    code: 'INOTIFY_HELPER_UNAVAILABLE',
    message: `the inotify helper is not used (${why}): fs.watch in the watcher thread holds the watches instead (about 3 KB more memory per watched directory; a kernel queue overflow is inferred from bursts, not seen)`,
    ...(off ? {} : { hint: 'check that `go build` works here, or set HOTWATCH_CACHE_DIR to a writable, executable directory' }),
  };
}
