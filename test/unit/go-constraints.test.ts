/** Whether go compiles a file here, from its //go:build line and its name (os/go-constraints.ts): pure logic. */
import { describe, expect, it } from 'vitest';
import { buildTags, compiledHere, satisfies, tagsFromFlags } from '../../src/os/go-constraints.js';

const linux = buildTags({ GOOS: 'linux', GOARCH: 'amd64' });
const file = (build: string) => `// Copyright\n\n//go:build ${build}\n\npackage main\n`;

describe('go build constraints', () => {
  it('the tags of a linux/amd64 build: its system, arch, unix, gc, cgo (unless CGO_ENABLED=0), and -tags', () => {
    expect([...linux].sort()).toEqual(['amd64', 'cgo', 'gc', 'linux', 'unix']);
    expect(buildTags({ GOOS: 'windows', GOARCH: 'arm64', CGO_ENABLED: '0' }, ['dev']).has('cgo')).toBe(false);
    expect(buildTags({ GOOS: 'windows', GOARCH: 'arm64' }, ['dev']).has('dev')).toBe(true);
    expect(tagsFromFlags(['-race', '-tags', 'dev,e2e'])).toEqual(['dev', 'e2e']);
    expect(tagsFromFlags(['-tags=a b', '-tags=c'])).toEqual(['c']);
  });

  it('expressions: ||, &&, !, parentheses; release tags are true', () => {
    expect(satisfies('linux && (amd64 || arm64)', linux)).toBe(true);
    expect(satisfies('!windows', linux)).toBe(true);
    expect(satisfies('windows || darwin', linux)).toBe(false);
    expect(satisfies('go1.21 && !ignore', linux)).toBe(true);
    expect(satisfies('ignore', linux)).toBe(false);
    expect(satisfies('unix && !cgo', linux)).toBe(false);
  });

  it('a file: its //go:build line (before the package clause only) and its _GOOS / _GOARCH name suffixes', () => {
    expect(compiledHere('main.go', file('windows'), linux)).toBe(false);
    expect(compiledHere('main.go', file('ignore'), linux)).toBe(false);
    expect(compiledHere('main.go', file('linux || darwin'), linux)).toBe(true);
    expect(compiledHere('main.go', 'package main\n\n//go:build windows\n', linux)).toBe(true); // after the clause: a comment
    expect(compiledHere('svc_windows.go', 'package main\n', linux)).toBe(false);
    expect(compiledHere('asm_arm64.go', 'package main\n', linux)).toBe(false);
    expect(compiledHere('sys_linux_amd64.go', 'package main\n', linux)).toBe(true);
    expect(compiledHere('sys_linux_arm64.go', 'package main\n', linux)).toBe(false);
    expect(compiledHere('wire_gen.go', 'package main\n', linux)).toBe(true);
  });
});
