/**
 * `hotwatch reload [--root DIR]`: asks the hotwatch running for a root to read its config again (POST
 * /reload on .hotwatch/control.sock), and prints what it did: the keys applied and how (watches
 * reconciled, one rebuild, one restart), the keys that need a restart of hotwatch, or, for an invalid
 * file, the error with file:line:column (the old config keeps running).
 */
import { terminalText } from '../log/terminal-text.js';
import { parseArgs } from 'node:util';
import { askControl, controlRoot } from '../service/client.js';
import { parseArgsProblem } from './flags.js';

export interface ReloadIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

const HELP = `Usage: hotwatch reload [--root DIR]

Makes the hotwatch running for a Go module read its config file again and apply it: watch lists
(watch.include, exclude, extensions, excludeDirs) reconcile the watches without touching the app;
build settings rebuild once; run settings (run.args, run.env, run.cwd) restart the app once. Keys that
cannot change live (root, ports, proxy, debounce, log, watchdog...) are named: they need a restart of
hotwatch. An invalid file is rejected with its file:line:column; the running config is kept.
An edit of the config file reloads it by itself; this is for scripts, and for a config hotwatch cannot
watch. SIGHUP does the same when the config sets service.sighup: reload.

  --root DIR  the module root (default: the nearest directory at or above the current one where
              hotwatch runs)
  --help      this text

Exit codes: 0 reloaded; 1 rejected (the config is invalid: the old one keeps running); 2 no hotwatch
runs there, or bad flags.
`;

/** A reload can wait behind a build's rebuild request and a watch reconcile of a large tree. */
const RELOAD_TIMEOUT_MS = 120_000;

export async function reloadCommand(argv: string[], io: ReloadIO): Promise<number> {
  let flags: { root?: string | undefined; help?: boolean | undefined };
  try {
    flags = parseArgs({
      args: argv,
      options: { root: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    io.stderr.write(`hotwatch: ${parseArgsProblem('reload', e, ['root', 'help'])}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const root = controlRoot(flags.root, io.cwd);
  const reply = await askControl(root, 'POST', '/reload', RELOAD_TIMEOUT_MS);
  if (reply.kind === 'none') {
    io.stderr.write(`hotwatch: ${reply.why}\n`);
    return reply.runningPid !== undefined ? 1 : 2; // one runs (stopped, or its socket gone): not reloaded, not absent
  }
  let answer: { ok?: boolean; message?: string };
  try {
    answer = JSON.parse(reply.body) as typeof answer;
  } catch {
    answer = { ok: false, message: reply.body.slice(0, 400) };
  }
  const message = answer.message ?? `answered ${reply.status}`;
  if (reply.status === 200 && answer.ok) {
    io.stdout.write(`${terminalText(message)}\n`);
    return 0;
  }
  if (reply.status === 422) {
    io.stderr.write(`hotwatch: config reload rejected, the running config is kept:\n${message}\n`);
    return 1;
  }
  io.stderr.write(`hotwatch: reload not done (${reply.status}): ${message}\n`);
  return reply.status === 409 ? 1 : 2;
}
