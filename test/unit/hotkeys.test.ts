/** Terminal keys → actions (src/cli/hotkeys.ts); the end-to-end check through a real pty is in test/e2e/hotkeys.test.ts. */
import { describe, expect, it } from 'vitest';
import { HOTKEYS_HELP, keysToActions } from '../../src/cli/hotkeys.js';

function record(data: string): string[] {
  const got: string[] = [];
  keysToActions(data, {
    rebuild: () => got.push('rebuild'),
    clear: () => got.push('clear'),
    quit: () => got.push('quit'),
    help: (t) => got.push(`help:${t}`),
  });
  return got;
}

describe('keysToActions', () => {
  it('maps r, c, q, h (either case) and ?; ignores other keys', () => {
    expect(record('r')).toEqual(['rebuild']);
    expect(record('RcQ')).toEqual(['rebuild', 'clear', 'quit']);
    expect(record('?')).toEqual([`help:${HOTKEYS_HELP}`]);
    expect(record('x\r\u001b[A')).toEqual([]);
  });
});
