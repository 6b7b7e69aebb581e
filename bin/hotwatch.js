#!/usr/bin/env node
// node's own start, for the start-up's timings (src/startup/timings.ts): performance.now() counts from the process's start.
globalThis[Symbol.for('hotwatch.binStartedAt')] = performance.now();
// Runs the bundle (dist/bundle/, built by `npm run build`). Loaded one after the other on purpose: the
// heap setting applies before anything else loads. Only for the long-lived `run`: a short command
// (doctor) is faster with V8's default young generation.
if (process.argv[2] === 'run') (await import('../dist/bundle/heap.js')).keepYoungGenerationSmall();
const { main } = await import('../dist/bundle/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hotwatch: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
