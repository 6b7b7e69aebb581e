// A watcher in its own node process (from dist/), for tests that need namespaces, lowered kernel limits
// or SIGSTOP. argv: root, JSON of WatchSettings overrides, JSON of createWatcher's `native` options, and
// optionally JSON of watchdog settings: then the watcher runs behind the watchdog (createWatchdog), which
// owns recovery, and its log lines are printed ({type: 'log', ...line}) instead of the backend's notices.
// Prints one JSON line per ready/event/notice/log/error; closes the watcher and exits when stdin ends.
import path from 'node:path';
import { pino } from 'pino';
import { createWatcher } from '../../dist/watch/backend.js';
import { createWatchdog } from '../../dist/watch/watchdog/watchdog.js';

const [root, over = '{}', nativeOpts = '{}', watchdogOpts] = process.argv.slice(2);
const settings = {
  root,
  include: ['go.mod', 'go.sum'],
  exclude: ['**/*_test.go'],
  extensions: ['.go', '.tmpl', '.tpl', '.html'],
  excludeDirs: ['.git', 'node_modules', 'vendor', 'testdata', '.hotwatch', '.idea', '.vscode', 'tmp'],
  outputDir: path.join(root, '.hotwatch', 'bin'),
  backend: 'auto',
  pollIntervalMs: 100,
  bufferCapacity: 8192,
  includeMounts: [],
  ...JSON.parse(over),
};
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
