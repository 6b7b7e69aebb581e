/**
 * Reference watcher for scenario 2, run as its own node process: @parcel/watcher with the inotify
 * backend named explicitly (never a watchman daemon) on argv[2]. Prints one JSON line when subscribed,
 * then idles until SIGTERM, when it unsubscribes and exits.
 */
import watcher from '@parcel/watcher';

const root = process.argv[2];
const t0 = performance.now();
let errors = 0;
const sub = await watcher
  .subscribe(
    root,
    (err) => {
      if (err) errors++;
    },
    { backend: 'inotify' },
  )
  .catch((e) => {
    process.stdout.write(`${JSON.stringify({ event: 'failed', error: String(e) })}\n`);
    process.exit(1);
  });
process.stdout.write(`${JSON.stringify({ event: 'ready', readyMs: performance.now() - t0, errors })}\n`);
// Keep the process alive while idle (the native subscription alone may not hold the loop open).
const keepAlive = setInterval(() => undefined, 1 << 30);
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  sub.unsubscribe().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`parcel unsubscribe failed: ${e}\n`);
      process.exit(1);
    },
  );
});
