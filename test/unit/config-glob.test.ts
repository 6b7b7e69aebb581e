/** What counts as a bad glob, checked against the picomatch installed here. */
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { globProblem } from '../../src/config/glob.js';

describe('bad globs', () => {
  it('the picomatch behaviour this relies on: an unclosed brace silently matches nothing', () => {
    expect(String(picomatch.makeRe('**/*.{go,tmpl'))).toBe(String(/$^/));
    expect(picomatch.isMatch('a.go', '**/*.{go,tmpl')).toBe(false);
    expect(() => picomatch.makeRe('web/[a-z', { strictBrackets: true })).toThrow(/Missing closing/);
  });

  it.each([
    '**/*.go',
    'go.mod',
    '**/*_test.go',
    'web/**/*.{html,tmpl}',
    'cmd/[a-z]*/main.go',
    'a,b}',
    '!(vendor)/**',
    'docs\\[1\\].md',
    './x/*.go',
  ])('accepts %j', (g) => {
    expect(globProblem(g)).toBeUndefined();
  });

  it.each([
    ['', 'an empty glob matches nothing'],
    ['**/*.{go,tmpl', 'bad glob "**/*.{go,tmpl": "{" is never closed'],
    ['web/[a-z.html', 'bad glob "web/[a-z.html": "[" is never closed'],
    ['@(a|b', 'bad glob "@(a|b": "(" is never closed'],
    ['abc]', 'bad glob "abc]": "]" has no opening "["'],
    ['foo\\', 'bad glob "foo\\\\": it can never match anything'],
    ['/src/*.go', 'bad glob "/src/*.go": globs match paths relative to the root, so an absolute pattern never matches'],
    ['../shared/*.go', 'bad glob "../shared/*.go": ".." climbs out of the root, so the pattern never matches'],
  ])('rejects %j', (g, message) => {
    const p = globProblem(g);
    expect(p?.message).toBe(message);
    expect(p?.fix).toBeTruthy();
  });
});
