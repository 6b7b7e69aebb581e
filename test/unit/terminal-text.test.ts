/** What hotwatch writes to a terminal from the tree or the config: escapes instead of live control sequences (log/terminal-text.ts). */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { yamlValue } from '../../src/config/print-config.js';
import { escapeControls } from '../../src/log/pretty.js';
import { hasUnsafe, terminalText } from '../../src/log/terminal-text.js';

describe('terminalText', () => {
  it('escapes control sequences, separators and bidirectional controls; keeps line breaks and tabs', () => {
    expect(terminalText('a\u001b[2Jb\u001b]52;c;eA==\u0007\tc\nd\re\u0085f')).toBe('a\\x1b[2Jb\\x1b]52;c;eA==\\x07\tc\nd\\re\\x85f');
    expect(terminalText('main\u202Eog.go \u2066x\u2069 \u200F \u061C \u2028')).toBe(
      'main\\u202eog.go \\u2066x\\u2069 \\u200f \\u061c \\u2028',
    );
    expect(terminalText('plain: ünïcödé ✓ → 日本')).toBe('plain: ünïcödé ✓ → 日本');
  });

  it('a log line escapes them too, a bare newline included (one record, one line)', () => {
    expect(escapeControls('x\u202Ey\nforged\n  kept')).toBe('x\\u202ey\\nforged\n  kept');
  });
});

describe('hotwatch config: a value holding such a character', () => {
  it('is printed double-quoted with the escape, and pasted back it is the same value', () => {
    for (const v of ['a\u202Eb', ['x\u001b[2Jy', 'ok'], { K: 'v\u2028w' }, 'new\nline', 'tab\there']) {
      const shown = terminalText(yamlValue(v));
      expect(hasUnsafe(shown.replace(/\t/g, ''))).toBe(false);
      expect(parse(shown)).toEqual(v);
    }
    expect(yamlValue('./cmd/api')).toBe('./cmd/api');
    expect(terminalText(yamlValue('a\u202Eb'))).toBe('"a\\u202eb"');
  });
});
