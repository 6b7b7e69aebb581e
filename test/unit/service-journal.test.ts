import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { describe, expect, it } from 'vitest';
import { fdIdentity, journalStream, logMode, syslogLevel, withJournalLevel } from '../../src/service/journal.js';

describe('logMode', () => {
  it('colours only a pretty log on a terminal, and not with NO_COLOR', () => {
    expect(logMode({ format: 'pretty', isTTY: true, env: {} })).toEqual({ color: true, journalLevels: false, timestamps: true });
    expect(logMode({ format: 'pretty', isTTY: false, env: {} }).color).toBe(false);
    expect(logMode({ format: 'pretty', isTTY: true, env: { NO_COLOR: '' } }).color).toBe(false);
    expect(logMode({ format: 'json', isTTY: true, env: {} }).color).toBe(false);
  });

  it('prefixes levels when stderr is the very stream JOURNAL_STREAM names, not when it was redirected', () => {
    const env = { JOURNAL_STREAM: '8:12345', INVOCATION_ID: 'abc' };
    expect(logMode({ format: 'pretty', isTTY: false, destination: '8:12345', env })).toEqual({
      color: false,
      journalLevels: true,
      timestamps: false,
    });
    expect(logMode({ format: 'pretty', isTTY: false, destination: '8:99999', env })).toEqual({
      color: false,
      journalLevels: false,
      timestamps: true,
    });
    expect(logMode({ format: 'pretty', isTTY: false, destination: undefined, env }).journalLevels).toBe(false);
    // JSON stays bare for a shipper, but journald still stamps the time.
    expect(logMode({ format: 'json', isTTY: false, destination: '8:12345', env })).toEqual({
      color: false,
      journalLevels: false,
      timestamps: false,
    });
  });

  it('takes INVOCATION_ID without JOURNAL_STREAM (older systemd) as the journal unless on a terminal', () => {
    expect(logMode({ format: 'pretty', isTTY: false, env: { INVOCATION_ID: 'abc' } }).journalLevels).toBe(true);
    expect(logMode({ format: 'pretty', isTTY: true, env: { INVOCATION_ID: 'abc' } })).toMatchObject({ journalLevels: false, color: true });
  });

  it('reads an fd identity the way systemd writes JOURNAL_STREAM (dev:ino)', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-journal-')), 'f');
    const fd = fs.openSync(file, 'w');
    const st = fs.statSync(file);
    expect(fdIdentity(fd)).toBe(`${st.dev}:${st.ino}`);
    fs.closeSync(fd);
    expect(fdIdentity(fd)).toBeUndefined();
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});

describe('journald level prefixes', () => {
  it('maps pino levels to syslog priorities', () => {
    expect([10, 20, 30, 40, 50, 60].map(syslogLevel)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it('prefixes every line of a multi-line message (journald makes each its own entry)', () => {
    expect(withJournalLevel('build failed\n./main.go:7:2: undefined: x\n', 50)).toBe('<3>build failed\n<3>./main.go:7:2: undefined: x\n');
    expect(withJournalLevel('ready', 30)).toBe('<6>ready\n');
  });

  it('formats a real pino logger through pino-pretty with level prefixes and no colour escapes', () => {
    let out = '';
    const sink = new Writable({
      write(c, _e, done) {
        out += c.toString();
        done();
      },
    });
    const format = prettyFactory({ colorize: false, ignore: 'pid,hostname,time,name', hideObject: true });
    const log = pino({ level: 'debug', base: { name: 'hotwatch' } }, journalStream(sink, format));
    log.info('watching 42 directories');
    log.warn('watch.deaf root (sentinel-timeout)');
    log.error('build failed\n./main.go:7:2: undefined: fmtx');
    log.debug('content seeded');
    expect(out).toBe(
      '<6>INFO: watching 42 directories\n<4>WARN: watch.deaf root (sentinel-timeout)\n<3>ERROR: build failed\n<3>./main.go:7:2: undefined: fmtx\n<7>DEBUG: content seeded\n',
    );
    expect(out).not.toContain('\x1b[');
  });
});
