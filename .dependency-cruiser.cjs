/**
 * The layers of src/ (README, "Design"), checked by test/unit/architecture.test.ts and by
 * `npx depcruise src`. Each layer imports only those below it:
 *   cli ─▶ runtime, preflight ─▶ diagnostics (doctor) ─▶ supervisor ─▶ pipeline ─▶ watch ─▶ config ─▶ os, log, errors
 * (supervisor and watch are siblings: neither imports the other.)
 */
const SRC = '^src/';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'an import cycle ties two concerns into one', from: { path: SRC }, to: { circular: true } },
    {
      name: 'os-is-the-floor',
      severity: 'error',
      comment: 'src/os/ holds facts about the machine: it imports nothing of ours but errors.ts',
      from: { path: '^src/os/' },
      to: { path: SRC, pathNot: ['^src/os/', '^src/errors\\.ts$'] },
    },
    {
      name: 'config-below-the-stages',
      severity: 'error',
      comment: 'config is read by every stage and reads none of them',
      from: { path: '^src/config/' },
      to: { path: '^src/(watch|pipeline|supervisor|diagnostics|cli)/|^src/(runtime|preflight)\\.ts$' },
    },
    {
      name: 'watch-and-pipeline-stay-below',
      severity: 'error',
      comment: 'the watch layer and the pipeline never import the supervisor, the CLI, the doctor or the composition root',
      from: { path: '^src/(watch|pipeline)/' },
      to: { path: '^src/(supervisor|cli|diagnostics)/|^src/(runtime|preflight)\\.ts$' },
    },
    {
      name: 'supervisor-knows-no-watcher',
      severity: 'error',
      comment: 'the supervisor gets batches; it never imports the watch layer, the doctor or the CLI',
      from: { path: '^src/supervisor/' },
      to: { path: '^src/(watch|cli|diagnostics)/|^src/(runtime|preflight)\\.ts$' },
    },
    {
      name: 'backends-know-no-watchdog',
      severity: 'error',
      comment: 'backends report typed losses; only the watchdog recovers (it imports them, never the reverse)',
      from: { path: '^src/watch/(tree|native|poll|budget)/' },
      to: { path: '^src/watch/watchdog/' },
    },
    {
      name: 'diagnostics-only-from-cli-and-startup',
      severity: 'error',
      comment: 'the doctor is a leaf: only the CLI and the start-up checks (preflight, runtime) use it',
      from: { path: SRC, pathNot: ['^src/diagnostics/', '^src/cli/', '^src/preflight\\.ts$', '^src/runtime\\.ts$'] },
      to: { path: '^src/diagnostics/' },
    },
    {
      name: 'diagnostics-reads-no-supervisor',
      severity: 'error',
      comment: 'the doctor reads os, watch and config; it never drives the supervisor or the CLI',
      from: { path: '^src/diagnostics/' },
      to: { path: '^src/(supervisor|cli)/|^src/runtime\\.ts$' },
    },
    {
      name: 'service-reads-the-runtime-through-interfaces',
      severity: 'error',
      comment: 'src/service/ (systemd notify, the status endpoint, PID 1) sees the runtime only through StatusSource and MetricsRecorder: it imports no stage',
      from: { path: '^src/service/' },
      to: { path: '^src/(watch|pipeline|supervisor|diagnostics|cli|config)/|^src/(runtime|preflight)\\.ts$' },
    },
    {
      name: 'cli-is-the-top',
      severity: 'error',
      comment: 'nothing imports the CLI',
      from: { path: SRC, pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
