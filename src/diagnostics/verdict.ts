/**
 * The doctor report's verdict (fail → broken, warn → degraded), without zod: `hotwatch run`'s start-up
 * checks (diagnostics/startup.ts → doctor.ts) need these, and importing them from report-schema.ts built
 * the report's zod schemas in every run (measured: +293 KB of heap after a full GC, kept for the run;
 * issue 19, memory). report-schema.ts re-exports them.
 */

/** What a verdict reads of a check (report-schema.ts's Check has these and more). */
interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail' | 'info';
}

/** The report's `verdict` (report-schema.ts checks that its enum says the same). */
export type Verdict = 'ok' | 'degraded' | 'broken';

export const DOCTOR_SCHEMA_VERSION = 1;

/**
 * Checks about building and starting the app rather than watching: the Go toolchain, module, main
 * package, output directory, port (and the toolchain checks crashing). Without `go` hotwatch still
 * watches (fs.watch instead of the helper), but builds nothing.
 */
export function isAppCheck(id: string): boolean {
  return /^(go\.|build\.|run\.|toolchain\b|apps$)/.test(id);
}

/** The verdict split: watching (every other check) and the app (isAppCheck). */
export function verdictParts(checks: readonly Check[]): { watching: Verdict; app: 'ok' | 'broken' } {
  const app = checks.filter((c) => isAppCheck(c.id));
  return { watching: verdictOf(checks.filter((c) => !isAppCheck(c.id))), app: app.some((c) => c.status === 'fail') ? 'broken' : 'ok' };
}

/** fail → broken, warn → degraded, else ok. */
export function verdictOf(checks: readonly Check[]): Verdict {
  if (checks.some((c) => c.status === 'fail')) return 'broken';
  if (checks.some((c) => c.status === 'warn')) return 'degraded';
  return 'ok';
}

export function exitCodeOf(v: Verdict): 0 | 1 | 2 {
  return v === 'ok' ? 0 : v === 'degraded' ? 1 : 2;
}
