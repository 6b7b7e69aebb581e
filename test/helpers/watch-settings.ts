/** Watch settings of a repo at /repo with the default lists, for the filter's pure tests; `over` replaces fields. */
import type { WatchSettings } from '../../src/config/settings.js';

export const REPO_ROOT = '/repo';

export const repoWatchSettings = (over: Partial<WatchSettings> = {}): WatchSettings => ({
  root: REPO_ROOT,
  include: ['go.mod', 'go.sum'],
  exclude: ['**/*_test.go'],
  extensions: ['.go', '.tmpl', '.tpl', '.html', '.s', '.sx', '.syso'],
  excludeDirs: ['.git', 'node_modules', 'vendor', 'testdata', '.hotwatch', '.idea', '.vscode', 'tmp'],
  outputDir: '/repo/.hotwatch/bin',
  backend: 'auto',
  pollIntervalMs: 1000,
  bufferCapacity: 8192,
  includeMounts: [],
  ...over,
});
