/** What the root logger is asked for (logger.ts, and pretty.ts for the pretty format). */
import type { DestinationStream } from 'pino';

export interface LoggerOptions {
  format: 'pretty' | 'json';
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Where lines go (default: stderr for pretty and json alike, so the app owns stdout). */
  destination?: DestinationStream | NodeJS.WritableStream;
  /**
   * The destination went away (EPIPE: `hotwatch run | head`, a closed session). Lines are dropped from
   * then on, and this is called once: a write must never kill hotwatch with the app left running.
   */
  onClosed?: (err: Error) => void;
}
