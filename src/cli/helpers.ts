/**
 * `hotwatch helpers`: builds the two small Go helpers now (the inotify watcher, and the service helper
 * that speaks sd_notify and reaps orphans as PID 1) instead of on first use, and prints where they are.
 * For container images and CI caches: the package ships their Go source, not binaries, and a build
 * at every new container's first start would cost a second or more.
 */
import { serviceHelper } from '../service/helper-binary.js';
import { inotifyHelper } from '../watch/native/helper/build.js';
import type { CliIO } from './run.js';

export async function helpersCommand(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(
      'Usage: hotwatch helpers\n\nBuilds the inotify helper and the service helper with your go now (they are built on first use\notherwise), into $HOTWATCH_CACHE_DIR (default ~/.cache/hotwatch), and prints their paths.\n',
    );
    return 0;
  }
  if (argv.length > 0) {
    io.stderr.write(`hotwatch: helpers takes no arguments (got ${argv.join(' ')})\n  fix: hotwatch helpers\n`);
    return 2;
  }
  const [inotify, service] = await Promise.all([inotifyHelper(), serviceHelper()]);
  let code = 0;
  for (const [name, r] of [
    ['inotify helper', inotify],
    ['service helper', service],
  ] as const) {
    if ('path' in r) io.stdout.write(`${name}: ${r.path}\n`);
    else {
      io.stderr.write(`hotwatch: the ${name} could not be built: ${r.unavailable}\n`);
      code = 1;
    }
  }
  return code;
}
