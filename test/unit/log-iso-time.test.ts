/**
 * Issue 19 (memory): the JSON log's `time` is written without Date.prototype.toISOString, whose first call
 * makes V8 read ICU's time zone data from the node binary (~1 MB of RSS for the whole run, measured),
 * and the text is the same as pino's isoTime wrote.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isoUtc } from '../../src/log/iso-time.js';
import { createLogger } from '../../src/log/logger.js';

const realToISOString = Date.prototype.toISOString;

describe('the JSON log time', () => {
  afterEach(() => {
    Date.prototype.toISOString = realToISOString;
  });

  it('isoUtc gives exactly what toISOString gives', () => {
    const samples = [
      0,
      1,
      999,
      59_999,
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12, 0, 0, 5),
      Date.UTC(2026, 11, 6, 22, 18, 10, 123),
      Date.UTC(2038, 0, 19, 3, 14, 8, 70),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.now(),
    ];
    for (let ms = 0; ms < 400 * 86_400_000; ms += 86_400_000 * 7 + 3_600_123) samples.push(ms + 1_700_000_000_000);
    for (const ms of samples) expect(isoUtc(ms)).toBe(realToISOString.call(new Date(ms)));
  });

  it('a JSON record carries an ISO time and never calls toISOString', () => {
    Date.prototype.toISOString = () => {
      throw new Error('toISOString called: it maps ICU time zone data');
    };
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const before = Date.now();
    createLogger({ format: 'json', level: 'info', destination }).info({ event: 'x' }, 'hello');
    const after = Date.now();
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as { time: string; msg: string };
    expect(rec.msg).toBe('hello');
    expect(rec.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const t = Date.parse(rec.time);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
  });
});
