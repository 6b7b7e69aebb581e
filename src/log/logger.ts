/**
 * The root pino logger. Human-readable lines on a TTY (pino-pretty, in pretty.ts, loaded only then),
 * JSON lines otherwise or with --log-format json. Each stage logs through child({ component }).
 * Structured fields every stage may use: `event` (a stable name such as "build.done"), `code`, `hint`.
 */
import { pino, type Logger } from 'pino';
import type * as PrettyModule from './pretty.js';
import type { LoggerOptions } from './options.js';
import { Writable } from 'node:stream';
import { isoTimeWithoutIcu } from './iso-time.js';
import { FdWriter } from './fd-writer.js';

export type { Logger, LoggerOptions };

/** The pretty format's stream factory (src/log/pretty.ts), loaded only when that format is chosen. */
export type PrettyStreams = typeof PrettyModule;

/** Forwards to `dest` until a write fails; then drops every line and calls `onClosed` once. */
function guarded(dest: NodeJS.WritableStream, onClosed: ((err: Error) => void) | undefined): Writable {
  let closed = false;
  const close = (e: unknown): void => {
    if (closed) return;
    closed = true;
    onClosed?.(e instanceof Error ? e : new Error(String(e)));
  };
  dest.on('error', close);
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      if (!closed) {
        try {
          dest.write(chunk);
        } catch (e) {
          close(e);
        }
      }
      done();
    },
  });
}

/**
 * The root logger. JSON needs pino only; the pretty format's modules (pino-pretty and what it pulls in) are
 * loaded by openLogger, and only when it is chosen: a `--log-format json` run (every non-TTY one by
 * default) never loads them (measured: pino-pretty's part of the bundle is ~55 KB of code, compiled before
 * the first build's spawn and kept in the heap for the whole run).
 */
export function createLogger(opts: LoggerOptions, pretty?: PrettyStreams): Logger {
  const dest = guarded((opts.destination ?? process.stderr) as NodeJS.WritableStream, opts.onClosed);
  if (opts.format === 'json') {
    return pino({ level: opts.level, base: { name: 'hotwatch' }, timestamp: isoTimeWithoutIcu }, dest);
  }
  if (!pretty) throw new Error('internal: the pretty log format needs its modules (openLogger loads them)');
  return pino({ level: opts.level, base: { name: 'hotwatch' } }, pretty.prettyStream(opts, dest));
}

/**
 * Where hotwatch's log lines (and the app's stderr passed through) go: `stderr` itself, or, when it is
 * hotwatch's fd 2 and a pipe, an FdWriter on a non-blocking descriptor of its own (fd-writer.ts).
 */
export function logOutput(stderr: NodeJS.WritableStream, format: LoggerOptions['format']): NodeJS.WritableStream {
  const fd = stderr === process.stderr ? FdWriter.reopenPipe(2) : undefined;
  if (fd === undefined) return stderr;
  return new FdWriter(fd, (n) => {
    const msg = `${n} log line${n === 1 ? '' : 's'} dropped: the reader of hotwatch's output (a pipe) did not keep up`;
    return format === 'json'
      ? `${JSON.stringify({ level: 40, time: new Date().toISOString(), name: 'hotwatch', event: 'log.dropped', dropped: n, msg })}\n`
      : `hotwatch: ${msg}\n`;
  });
}

/** createLogger, with the pretty format's modules loaded first when that format is chosen. */
export async function openLogger(opts: LoggerOptions): Promise<Logger> {
  return createLogger(opts, opts.format === 'pretty' ? await import('./pretty.js') : undefined);
}

/** A logger that discards everything (unit tests of stages that take a logger). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
