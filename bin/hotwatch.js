#!/usr/bin/env node
// node's own start, for the start-up's timings (src/startup/timings.ts): performance.now() counts from the process's start.
globalThis[Symbol.for('hotwatch.binStartedAt')] = performance.now();
// Runs the bundle (dist/bundle/, built by `npm run build`). Loaded one after the other on purpose: the
// heap setting applies before the rest loads. Only for the long-lived `run`: a short command (doctor) is
// faster with V8's default young generation.
let remembered;
/** Failed before the start-up took the remembered build over (a no-op after): stopped, not left running. */
const dropRemembered = async () => {
  remembered?.build?.signals.handOver();
  await remembered?.build?.early.abandon();
};
try {
  if (process.argv[2] === 'run') {
    // The first build the last run with these flags here kept a plan of (or the defaults', with no config),
    // spawned before the rest loads; the start-up adopts it only if it is exactly the build it would spawn
    // (src/startup/remembered-build.ts). One CommonJS file, required: no ESM loading before the spawn.
    const require = (process.getBuiltinModule?.('node:module') ?? (await import('node:module'))).createRequire(import.meta.url);
    const { startRememberedBuild } = require('../dist/bundle/remembered-build.cjs');
    let cwd;
    try {
      cwd = process.cwd();
    } catch {
      cwd = undefined; // the directory is gone: the start-up says so
    }
    if (cwd !== undefined) remembered = await startRememberedBuild({ argv: process.argv.slice(3), cwd, env: process.env });
    (await import('../dist/bundle/heap.js')).keepYoungGenerationSmall();
  }
  const { main } = await import('../dist/bundle/main.js');
  // Not awaited here: the module's evaluation ends, the run goes on in the event loop.
  main(process.argv.slice(2), remembered).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => failed(err),
  );
} catch (err) {
  await failed(err);
}

async function failed(err) {
  process.stderr.write(`hotwatch: internal error: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
  await dropRemembered();
}
