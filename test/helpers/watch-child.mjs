// A watcher in its own node process (from dist/), for tests that need namespaces, lowered kernel limits
// or SIGSTOP. argv: root, JSON of WatchSettings overrides, JSON of createWatcher's `native` options, and
// optionally JSON of watchdog settings: then the watcher runs behind the watchdog (createWatchdog), which
// owns recovery, and its log lines are printed ({type: 'log', ...line}) instead of the backend's notices.
// Prints one JSON line per ready/event/notice/log/error; closes the watcher and exits when stdin ends.
import { pino } from 'pino';
import { createWatcher } from '../../dist/watch/backend.js';
import { createWatchdog } from '../../dist/watch/watchdog/watchdog.js';
import { defaultWatchSettings } from '../../dist/config/settings.js';

const [root, over = '{}', nativeOpts = '{}', watchdogOpts] = process.argv.slice(2);
// The schema's defaults (one source, as test/helpers/watch-tree.ts), polling at 100 ms.
const settings = { ...defaultWatchSettings(root), pollIntervalMs: 100, ...JSON.parse(over) };
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const ac = new AbortController();
const onEvent = (e) => out({ type: 'event', ...e });
const w =
  watchdogOpts === undefined
    ? createWatcher({
        settings,
        native: JSON.parse(nativeOpts),
        onEvent,
        onNotice: (n) => out({ type: 'notice', ...n }),
        signal: ac.signal,
      })
    : createWatchdog({
        settings,
        watchdog: JSON.parse(watchdogOpts),
        native: JSON.parse(nativeOpts),
        onEvent,
        log: pino({ level: 'debug' }, { write: (s) => out({ type: 'log', ...JSON.parse(s) }) }),
        signal: ac.signal,
        env: {},
      });
w.ready.then(
  (r) => out({ type: 'ready', ...r, pid: process.pid }),
  (e) => out({ type: 'error', code: e.code, message: e.message, hint: e.hint }),
);
let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await w.close();
  out({ type: 'closed' });
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
