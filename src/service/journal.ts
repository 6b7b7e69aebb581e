/**
 * How log lines should look where they go: colours only on a terminal, and under journald (systemd
 * connected our stderr to the journal) each plain line prefixed with its syslog level, `<3>` for an
 * error, which journald strips and stores as the entry's priority (`journalctl -p warning`). JSON lines
 * stay bare: a shipper parses their "level" field. For src/log/logger.ts to use (wiring not done here).
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';

export interface LogMode {
  /** ANSI colours. */
  color: boolean;
  /** `<N>` level prefixes for journald. */
  journalLevels: boolean;
  /** Timestamps in the line (journald stamps each entry itself). */
  timestamps: boolean;
}

export interface LogModeInput {
  format: 'pretty' | 'json';
  /** The destination is a terminal (stream.isTTY). */
  isTTY: boolean;
  /** `dev:ino` of the destination's fd (stderr), compared with JOURNAL_STREAM; undefined when unknown. */
  destination?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** `dev:ino` of an fd, as systemd writes JOURNAL_STREAM; undefined when it cannot be read. */
export function fdIdentity(fd: number): string | undefined {
  try {
    const st = fs.fstatSync(fd);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether our lines reach journald. JOURNAL_STREAM names the stream systemd gave the service: when it is
 * set, the destination must be that very stream (a child whose stderr was redirected to a file inherits the
 * variable, not the journal). Without it (systemd before 231), INVOCATION_ID says a unit runs us, and
 * a non-terminal stderr there is the journal by default.
 */
export function toJournal(i: LogModeInput): boolean {
  const env = i.env ?? process.env;
  if (env.JOURNAL_STREAM) return i.destination !== undefined && i.destination === env.JOURNAL_STREAM;
  return Boolean(env.INVOCATION_ID) && !i.isTTY;
}

export function logMode(i: LogModeInput): LogMode {
  const env = i.env ?? process.env;
  const journal = toJournal(i);
  // NO_COLOR (any value) turns colours off; FORCE_COLOR is not honoured: a journal or a pipe must stay plain.
  const color = i.format === 'pretty' && i.isTTY && !journal && env.NO_COLOR === undefined;
  return { color, journalLevels: journal && i.format === 'pretty', timestamps: !journal };
}

/** syslog priority for a pino level number: fatal 2 (crit), error 3, warn 4, info 6, debug and trace 7. */
export function syslogLevel(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

/** Prefixes every line of `text` (journald makes each line its own entry, so each needs the level). */
export function withJournalLevel(text: string, pinoLevel: number): string {
  const p = `<${syslogLevel(pinoLevel)}>`;
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return `${body
    .split('\n')
    .map((l) => p + l)
    .join('\n')}\n`;
}

/**
 * A pino destination for journald: takes pino's JSON lines, formats each with `format` (pino-pretty's
 * prettyFactory, colours off) and writes it to `dest` with its level prefix. Synchronous, like the
 * pretty stream it replaces.
 */
export function journalStream(dest: NodeJS.WritableStream, format: (record: Record<string, unknown>) => string): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          dest.write(withJournalLevel(line, 30)); // not pino's: pass it on as info
          continue;
        }
        dest.write(withJournalLevel(format(record), typeof record.level === 'number' ? record.level : 30));
      }
      done();
    },
  });
}
