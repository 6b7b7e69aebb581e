/**
 * The root pino logger. Human-readable lines on a TTY (pino-pretty, synchronous, no worker thread),
 * JSON lines otherwise or with --log-format json. Each stage logs through child({ component }).
 * Structured fields every stage may use: `event` (a stable name such as "build.done"), `code`, `hint`.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  format: 'pretty' | 'json';
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Where lines go (default: stderr for pretty and json alike, so the app owns stdout). */
  destination?: DestinationStream | NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const dest = opts.destination ?? process.stderr;
  if (opts.format === 'json') {
    return pino(
      { level: opts.level, base: { name: 'hotwatch' }, timestamp: pino.stdTimeFunctions.isoTime },
      dest as DestinationStream,
    );
  }
  const stream = pretty({
    destination: dest as NodeJS.WritableStream,
    sync: true,
    colorize: Boolean((dest as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR,
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname,name,component,event',
    messageFormat: '{if component}[{component}] {end}{msg}',
    // Messages carry what a person needs; the structured fields are for --log-format json.
    hideObject: true,
  });
  return pino({ level: opts.level, base: { name: 'hotwatch' } }, stream);
}

/** A logger that discards everything (unit tests of stages that take a logger). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
