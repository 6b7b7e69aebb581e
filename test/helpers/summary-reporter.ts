/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped"), since vitest's own summary
 * is not one of the formats it understands; above it, each test that skipped itself, with its reason.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const t of mod.children.allTests()) {
        const r = t.result();
        if (r.state === 'passed') passed++;
        else if (r.state === 'failed') failed++;
        else {
          skipped++;
          // A test that skips itself says why (its input could not be made on this machine): shown, not buried.
          if (r.state === 'skipped' && r.note) process.stdout.write(`\nSKIPPED ${t.fullName}: ${r.note}`);
        }
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++;
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
