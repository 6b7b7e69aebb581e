import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real processes, real go builds: generous, but bounded. No retries: a flaky test is a bug.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    retry: 0,
    pool: 'forks',
    // Two cores: integration tests each start go builds and processes.
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    setupFiles: ['./test/helpers/setup.ts'],
  },
});
