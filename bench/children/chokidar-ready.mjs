/**
 * Reference watcher for scenario 2, run as its own node process: chokidar 5 with its defaults
 * (native fs.watch, no polling, no ignore) on argv[2]. Prints one JSON line when ready, then idles
 * until SIGTERM, when it closes the watcher and exits.
 */
import { watch } from 'chokidar';

const root = process.argv[2];
const t0 = performance.now();
let errors = 0;
let firstError;
const w = watch(root);
w.on('error', (e) => {
  errors++;
  firstError ??= String(e?.code ?? e);
});
w.on('ready', () => {
  process.stdout.write(`${JSON.stringify({ event: 'ready', readyMs: performance.now() - t0, errors, firstError })}\n`);
});
process.on('SIGTERM', () => {
  w.close().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`chokidar close failed: ${e}\n`);
      process.exit(1);
    },
  );
});
