#!/usr/bin/env node
// Loaded one after the other on purpose: the heap setting applies before anything else loads. Only for
// the long-lived `run`: a short command (doctor) is faster with V8's default young generation.
if (process.argv[2] === 'run') (await import('../dist/heap.js')).keepYoungGenerationSmall();
const { main } = await import('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hotwatch: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
