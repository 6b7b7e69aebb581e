/**
 * `hotwatch status [--root DIR] [--json] [--check]`: asks the hotwatch running for a root (its
 * .hotwatch/control.sock) how it is. --check is for a Docker HEALTHCHECK or a script: exit 0 only when the
 * app serves and watching is healthy, 1 otherwise (one line saying why), 2 when no hotwatch runs there.
 * Loads no config and no watcher: it runs every few seconds in a healthcheck.
 */
import { terminalText } from '../log/terminal-text.js';
import { parseArgs } from 'node:util';
import { fetchStatus, controlRoot } from '../service/client.js';
import { renderStatus } from '../service/render.js';
import { parseArgsProblem } from './flags.js';

export interface StatusIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

const HELP = `Usage: hotwatch status [--root DIR] [--json] [--check]

Shows how the hotwatch running for a Go module is doing: its state, the app (pid, address, uptime,
restarts), the last build, the health of watching, recent events.

  --root DIR  the module root (default: the nearest directory at or above the current one where
              hotwatch runs)
  --json      the status as JSON, as GET /status on .hotwatch/control.sock returns it
  --check     exit 0 only when the app serves and watching is healthy; else print why and exit 1
              (for a Docker HEALTHCHECK)
  --help      this text

Exit codes: 0 ok (with --check: healthy); 1 not healthy (--check), or one runs but its status socket is gone (placed again within 15 s); 2 no hotwatch runs there, or bad flags.
`;

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    options: {
      root: { type: 'string' },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;

export async function statusCommand(argv: string[], io: StatusIO): Promise<number> {
  let flags: ReturnType<typeof parse>;
  try {
    flags = parse(argv);
  } catch (e) {
    io.stderr.write(`hotwatch: ${parseArgsProblem('status', e, ['root', 'json', 'check', 'help'])}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const root = controlRoot(flags.root, io.cwd);
  const reply = await fetchStatus(root);
  if (reply.kind === 'none') {
    io.stderr.write(`hotwatch: ${terminalText(reply.why)}\n`);
    return reply.runningPid !== undefined ? 1 : 2; // one runs, its health not known now: not healthy, not absent
  }
  const s = reply.snapshot;
  if (flags.json) io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
  if (flags.check) {
    if (!flags.json)
      io.stdout.write(
        s.health.ok
          ? `ok: serving${s.app?.listening.length ? ` on ${s.app.listening.join(', ')}` : ''}, watch healthy\n`
          : `${terminalText(s.health.why ?? 'not healthy')}\n`,
      );
    return s.health.ok ? 0 : 1;
  }
  if (!flags.json) io.stdout.write(terminalText(renderStatus(s)));
  return 0;
}
