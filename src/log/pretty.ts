/**
 * The pretty log format's destination: human-readable lines (pino-pretty, synchronous, no worker thread),
 * `<N>` level prefixes under systemd. Its own file so that a JSON run never loads pino-pretty
 * (logger.ts's openLogger imports this only for the pretty format).
 */
import { FdWriter } from './fd-writer.js';
import pretty, { prettyFactory } from 'pino-pretty';
import type { DestinationStream } from 'pino';
import type { Writable } from 'node:stream';
import { fdIdentity, journalStream, logMode } from '../service/journal.js';
import type { LoggerOptions } from './options.js';
import { escapeUnsafe } from './terminal-text.js';

/**
 * A message as one terminal line: control characters escaped (terminal-text.ts: C0 but tab, DEL, C1,
 * the Unicode line and paragraph separators, the bidirectional controls), so a file name carrying a
 * newline cannot forge a log record, nor an escape sequence move the cursor or erase a line. A line break followed by indentation is kept: that is how a
 * record continues (a fix under an error, compiler errors, a stack), and an indented line can never be
 * taken for a record, which always starts in column 0 with its time. JSON output needs none of this.
 */
export function escapeControls(text: string): string {
  return escapeUnsafe(text, (c, at) => c === '\n' && (text[at + 1] === ' ' || text[at + 1] === '\t'));
}

/** Colours an app's name can take (ANSI foreground codes), chosen by its name so it keeps one across runs. */
const APP_COLOURS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];

/** `api │ ` before a line of the app `api`; coloured when the output is. */
export function appPrefix(app: string, color: boolean): string {
  const name = escapeControls(app);
  if (!color) return `${name} │ `;
  let h = 0;
  for (const c of app) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `\u001b[${APP_COLOURS[h % APP_COLOURS.length]}m${name}\u001b[39m │ `;
}

/** Where pino writes the pretty format's lines: `dest` through pino-pretty (or the journal's formatter). */
export function prettyStream(opts: LoggerOptions, dest: Writable): DestinationStream {
  const isTTY = Boolean((opts.destination as { isTTY?: boolean } | undefined)?.isTTY ?? process.stderr.isTTY);
  // Under systemd (stderr is the journal): `<N>` level prefixes, no time (journald stamps it), no colours.
  // Only stderr can be the journal (a destination of a test, a file, never is).
  const toStderr = !opts.destination || opts.destination === process.stderr || opts.destination instanceof FdWriter;
  const env = toStderr ? process.env : { NO_COLOR: process.env.NO_COLOR };
  const mode = logMode({ format: 'pretty', isTTY, destination: toStderr ? fdIdentity(2) : undefined, env });
  const options = {
    colorize: mode.color,
    ignore: mode.timestamps ? 'pid,hostname,name,component,event,app' : 'pid,hostname,time,name,component,event,app',
    messageFormat: (log: Record<string, unknown>, messageKey: string) => {
      const component = typeof log.component === 'string' ? `[${log.component}] ` : '';
      const msg = log[messageKey];
      const text = escapeControls(`${component}${msg === undefined || msg === null ? '' : String(msg)}`);
      // With apps: (several apps), each line of one app starts with its name, in its own colour on a terminal.
      return typeof log.app === 'string' ? `${appPrefix(log.app, mode.color)}${text}` : text;
    },
    // Messages carry what a person needs; the structured fields are for --log-format json.
    hideObject: true,
  };
  if (mode.journalLevels) {
    const format = prettyFactory({ ...options, translateTime: false });
    return journalStream(dest, format);
  }
  return pretty({ destination: dest, sync: true, translateTime: 'HH:MM:ss.l', ...options });
}
