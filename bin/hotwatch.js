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
  if (err?.code === 'EMFILE' || err?.code === 'ENFILE') {
    // Not a bug of hotwatch: it could not even open its own code. Bad input of the environment: exit 2.
    process.stderr.write(
      `hotwatch: too many open files (${err.code}) while starting: ${openFilesLimit()}\n  fix: raise it (ulimit -n 1024, or LimitNOFILE= in a unit) and start hotwatch again\n`,
    );
    process.exitCode = 2;
  } else {
    process.stderr.write(`hotwatch: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  }
  await dropRemembered();
}

/** The open-files limit as /proc says it, in words (the whole machine's table, for ENFILE, is not it). */
function openFilesLimit() {
  try {
    const text = process.getBuiltinModule?.('node:fs')?.readFileSync('/proc/self/limits', 'utf8') ?? '';
    const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
    if (soft) return `the open-files limit of this process is ${soft} (ulimit -n)`;
  } catch {
    // no /proc: said without the number
  }
  return 'the open-files limit (ulimit -n) is too low, or the machine is out of file descriptors';
}
