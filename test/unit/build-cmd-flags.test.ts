import { describe, expect, it } from 'vitest';
import { buildInputs, goBuildFlagsIn, goBuildPackageIn } from '../../src/watch/roots/ignored-excludes.js';

describe("goBuildFlagsIn: a build.cmd's go build flags that change which files a package has", () => {
  it.each([
    ['go build -tags dev -o .hotwatch/bin/app .', ['-tags', 'dev']],
    ['go build -tags=dev,sqlite -mod=vendor -o bin/app ./cmd/api', ['-tags=dev,sqlite', '-mod=vendor']],
    ['templ generate && go build --tags dev -o bin/app .', ['--tags', 'dev']],
    ['make gen; exec go build -tags dev .', ['-tags', 'dev']],
    ['go build -o bin/app .', []],
    ['go build -tags "$TAGS" .', []], // not guessed
    ['go build -tags "dev,sqlite" -ldflags "-s -w" .', ['-tags', 'dev,sqlite']],
    ['make build', []],
    ['go test -tags dev ./...', []], // not a build
  ])('%s', (cmd, flags) => {
    expect(goBuildFlagsIn(cmd)).toEqual(flags);
  });
});

describe("goBuildPackageIn: the one package a build.cmd's single plain go build names (go is asked what it compiles)", () => {
  it.each([
    ['go build -o .hotwatch/bin/app ./app', './app'],
    ['templ generate && go build -tags dev -ldflags "-s -w" -o bin/app ./cmd/api', './cmd/api'], // quoted words read
    ["go build -ldflags='-s -w' -o ./tmp/main .", '.'],
    ['go build -ldflags "-X main.v=$VERSION" -o bin/app ./cmd/api', undefined], // a variable: not guessed
    ['go build -o bin/app "./cmd/api', undefined], // an open quote
    ['go build -o bin/app ./cmd/api 2>build.log', './cmd/api'],
    ['go build -o bin/app ./cmd/api > build.log', './cmd/api'],
    ['go build -o bin/app', '.'], // the package of the directory it runs in: the root
    ['cd cmd/api && go build -o ../../bin/app', undefined], // another directory
    ['go build -C cmd/api -o ../../bin/app', undefined],
    ['go build -tags dev -ldflags=-s -o bin/app ./cmd/api', './cmd/api'],
    ['CGO_ENABLED=0 go build -o bin/x example.com/app/cmd/x', 'example.com/app/cmd/x'],
    ['exec go build -o bin/app .', '.'],
    ['go build -o bin/a ./a && go build -o bin/b ./b', undefined], // two builds
    ['go build -o bin/app ./a ./b', undefined], // two packages
    ['make build', undefined],
    ['go build -o bin/app $PKG', undefined],
  ])('%s', (cmd, pkg) => {
    expect(goBuildPackageIn(cmd)).toBe(pkg);
  });

  it('buildInputs takes it, else every package of the module', () => {
    expect(buildInputs('/r', { cmd: 'go build -o .hotwatch/bin/app ./app', package: '.', env: {}, flags: [] }).package).toBe('./app');
    expect(buildInputs('/r', { cmd: 'make', package: '.', env: {}, flags: [] }).package).toBe('./...');
  });
});
