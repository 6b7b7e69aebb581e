/**
 * Issue 14 (11): pretty output escapes control characters, so a file name cannot forge a log record
 * (a newline followed by a fake timestamp) or move the terminal's cursor. A line break followed by
 * indentation stays a line break: that is how a record continues (a fix, compiler errors, a stack), and
 * such a line can never be taken for a record's start, which is always in column 0.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openLogger } from '../../src/log/logger.js';

async function pretty() {
  let out = '';
  const dest = Object.assign(
    new Writable({
      write(c, _e, done) {
        out += String(c);
        done();
      },
    }),
    { isTTY: false },
  );
  const log = await openLogger({ format: 'pretty', level: 'info', destination: dest });
  return { log, out: () => out };
}

describe('pretty log output escapes control characters', () => {
  it('a newline in a message cannot start a new record', async () => {
    const { log, out } = await pretty();
    log.info('x\n[12:34:56.789] ERROR: forged.go changed → building');
    const lines = out().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: x\\n\[12:34:56\.789\] ERROR: forged\.go changed → building$/);
  });

  it('carriage returns, escapes, DEL and C1 controls are shown escaped, not interpreted', async () => {
    const { log, out } = await pretty();
    log.info('a\rb\x1b[2Kc\x7fd\x9be\x00f');
    expect(out().trimEnd()).toMatch(/INFO: a\\rb\\x1b\[2Kc\\x7fd\\x9be\\x00f$/);
  });

  it('an indented continuation stays on its own line (the fix under an error)', async () => {
    const { log, out } = await pretty();
    log.error('cannot write x\n  fix: chmod u+w y');
    expect(out()).toMatch(/ERROR: cannot write x\n {2}fix: chmod u\+w y\n$/);
  });

  it('the component prefix and tabs are kept', async () => {
    const { log, out } = await pretty();
    log.child({ component: 'watch' }).info('a\tb');
    expect(out()).toMatch(/INFO: \[watch\] a\tb\n$/);
  });
});
