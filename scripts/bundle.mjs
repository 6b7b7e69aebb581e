#!/usr/bin/env node
/**
 * `npm run build`, second step: bundles what bin/hotwatch.js runs (the CLI, the watcher thread and the heap
 * setting) from tsc's dist/ into dist/bundle/, minified, split by dynamic import (each command loads only
 * its own code: `hotwatch --version` 0.25 → 0.16 s), with esbuild. Measured with every module loaded
 * (`hotwatch run`'s import graph, after a full GC): 72 MB RSS from dist/ against 58 MB from the bundle,
 * mostly execa, zod, pino-pretty and yaml code that is never called. Tests import src/ (and the watcher
 * thread from dist/watch/), so both forms are exercised. Source maps sit beside the bundle:
 * `node --enable-source-maps bin/hotwatch.js ...` shows unminified stack traces (the npm package leaves
 * them out: see package.json `files`).
 *
 * The bundle carries every runtime dependency, so the package installs none. Their licences go with
 * them: dist/bundle/THIRD-PARTY-LICENSES.txt lists each bundled package (from esbuild's metafile) with
 * its licence text.
 */
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repo, 'dist', 'bundle');
fs.rmSync(outdir, { recursive: true, force: true }); // no stale chunks
/**
 * zod's namespace (`z`) re-exports every locale (`z.locales`, 258 KB of the 443 KB zod put in the bundle),
 * so esbuild cannot leave them out; hotwatch speaks English only (zod's default, which zod imports
 * from locales/en.js itself). Each `hotwatch run` compiled them before its first build: the stub keeps
 * `locales.en` and drops the rest (measured: the run's config chunk 601 → 354 KB).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * pino requires thread-stream (a worker thread per transport, ~10 KB bundled) at load, for pino.transport(),
 * which hotwatch never calls: its logs go to a stream of its own (src/log/). The stand-in keeps that code
 * out of every run's start-up (compiled before the first build's spawn, then kept for the whole run); a
 * pino.transport() call would fail loudly, not silently.
 */
const pinoWithoutTransports = {
  name: 'pino-without-transports',
  setup(b) {
    b.onResolve({ filter: /^thread-stream$/ }, (args) =>
      /[\\/]pino[\\/]lib[\\/]/.test(args.importer) ? { path: 'thread-stream', namespace: 'no-transports' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-transports' }, () => ({
      contents:
        "module.exports = class ThreadStream { constructor() { throw new Error('pino transports are not bundled in hotwatch (thread-stream left out by scripts/bundle.mjs)'); } };\n",
      loader: 'js',
    }));
  },
};

/** One id for both builds below: a plan kept by one build of hotwatch is not used by another (first-build-plan.ts). */
const define = { HOTWATCH_BUILD_ID: JSON.stringify(randomUUID()) };

const result = await build({
  absWorkingDir: repo,
  entryPoints: ['dist/cli/main.js', 'dist/watch/native/worker.js', 'dist/heap.js'],
  entryNames: '[name]', // flat: the worker is found beside the CLI, ../../package.json from both
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  splitting: true, // each command loads only its own code (doctor, --version)
  sourcemap: true,
  legalComments: 'none', // the full licence texts are in THIRD-PARTY-LICENSES.txt
  metafile: true,
  // Some dependencies (pino, yaml) still call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __hotwatchRequire } from 'node:module'; const require = __hotwatchRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [zodEnglishOnly, pinoWithoutTransports],
  define,
});

/**
 * The remembered first build's spawn (src/startup/remembered-build.ts), run by bin/hotwatch.js before the
 * rest: one CommonJS file, required, not imported. As a part of the split ESM bundle it imported 16
 * chunks and ~12 ms of ESM resolving and linking went before the spawn; alone it is one file read and
 * compiled. Its modules (the early build, the root's lock, the output path's checks: ~60 KB) are also in
 * the ESM bundle, which receives the build it spawned and uses it through its methods.
 */
await build({
  absWorkingDir: repo,
  entryPoints: ['dist/startup/remembered-build.js'],
  outfile: 'dist/bundle/remembered-build.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // import.meta.url, as the ESM modules it is built from use it
  banner: { js: "const __hotwatchModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { ...define, 'import.meta.url': '__hotwatchModuleUrl' },
});
fs.writeFileSync(path.join(outdir, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(result.metafile));

/** The directories of the npm packages whose code went into the bundle (inputs under node_modules/). */
function bundledPackages(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    if (/^[\w-]+:/.test(input)) continue; // a plugin's stand-in (zod-locales:), not a package's file
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.slice(at));
    if (m) dirs.add(path.resolve(repo, input.slice(0, at), 'node_modules', m[1]));
  }
  return [...dirs];
}

function thirdPartyLicenses(metafile) {
  const seen = new Map();
  for (const dir of bundledPackages(metafile)) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const id = `${pkg.name}@${pkg.version}`;
    if (seen.has(id)) continue;
    const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file
      ? fs.readFileSync(path.join(dir, file), 'utf8').trim()
      : `(no licence file in the package; package.json says: ${pkg.license ?? 'nothing'})`;
    seen.set(id, `${id} (${typeof pkg.license === 'string' ? pkg.license : 'see below'})\n\n${text}\n`);
  }
  const ids = [...seen.keys()].sort();
  const header =
    'hotwatch bundles the code of the following packages into dist/bundle/ (esbuild, minified).\n' +
    `Each is listed with its licence. ${ids.length} packages.\n`;
  return `${header}\n${ids.map((id) => `${'='.repeat(78)}\n${seen.get(id)}`).join('\n')}`;
}
