import { describe, expect, it } from 'vitest';
import { goBuildFlagsIn } from '../../src/watch/roots/ignored-excludes.js';

describe("goBuildFlagsIn: a build.cmd's go build flags that change which files a package has", () => {
  it.each([
    ['go build -tags dev -o .hotwatch/bin/app .', ['-tags', 'dev']],
    ['go build -tags=dev,sqlite -mod=vendor -o bin/app ./cmd/api', ['-tags=dev,sqlite', '-mod=vendor']],
    ['templ generate && go build --tags dev -o bin/app .', ['--tags', 'dev']],
    ['make gen; exec go build -tags dev .', ['-tags', 'dev']],
    ['go build -o bin/app .', []],
    ['go build -tags "$TAGS" .', []], // not guessed
    ['make build', []],
    ['go test -tags dev ./...', []], // not a build
  ])('%s', (cmd, flags) => {
    expect(goBuildFlagsIn(cmd)).toEqual(flags);
  });
});
