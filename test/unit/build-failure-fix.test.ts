import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log/logger.js';
import type { BuildResult } from '../../src/supervisor/build.js';
import { reportBuildFailure } from '../../src/supervisor/report-build.js';

/** The BUILD FAILED line for `output`, as logged. */
function failedLine(output: string): string {
  let said = '';
  const log = { error: (_f: unknown, msg: string) => (said = msg) } as unknown as Logger;
  const res = { ok: false, exitCode: 1, timedOut: false, durationMs: 120, output } as unknown as BuildResult;
  reportBuildFailure(log, res, true, { onFailure: 'keep-running', buildDir: '/r', cwd: '/r' });
  return said;
}

describe('BUILD FAILED: a failure of the machine gets its fix', () => {
  it('cgo without a C compiler', () => {
    const line = failedLine('# runtime/cgo\ncgo: C compiler "gcc" not found: exec: "gcc": executable file not found in $PATH\n');
    expect(line).toMatch(
      /\n {2}fix: install a C compiler \(gcc: e\.g\. apt install gcc, apk add build-base\), or build without cgo .*CGO_ENABLED: "0"/,
    );
  });

  it('a compiler error of the code gets none (go says what is wrong)', () => {
    expect(failedLine('./main.go:3:1: syntax error: unexpected }\n')).not.toContain('fix:');
  });
});
