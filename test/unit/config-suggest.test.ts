import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/config/suggest.js';

describe('did-you-mean', () => {
  it('edit distance counts inserts, deletes, substitutions and swaps', () => {
    expect(editDistance('cmd', 'cmd')).toBe(0);
    expect(editDistance('cmnd', 'cmd')).toBe(1);
    expect(editDistance('tiemout', 'timeout')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  const build = ['cmd', 'package', 'output', 'flags', 'env', 'timeout', 'onFailure'];
  it('suggests the closest key, ignoring case, - and _', () => {
    expect(suggest('cmnd', build)).toBe('cmd');
    expect(suggest('tiemout', build)).toBe('timeout');
    expect(suggest('on_failure', build)).toBe('onFailure');
    expect(suggest('OUTPUT', build)).toBe('output');
    expect(suggest('pakage', build)).toBe('package');
  });

  it('suggests nothing when nothing is close', () => {
    expect(suggest('zzyzx', build)).toBeUndefined();
    expect(suggest('x', build)).toBeUndefined();
    expect(suggest('command', build)).toBeUndefined();
    expect(suggest('anything', [])).toBeUndefined();
  });
});
