/** The project's real pino logger (JSON) writing into memory, so tests read the proxy's log events. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.js';

export interface CapturedLog {
  log: Logger;
  lines: { level: number; event?: string; msg: string; [k: string]: unknown }[];
  events: (name: string) => CapturedLog['lines'];
}

export function captureLog(level: 'debug' | 'info' = 'debug'): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const log = createLogger({ format: 'json', level, destination });
  return { log, lines, events: (name) => lines.filter((l) => l.event === name) };
}
