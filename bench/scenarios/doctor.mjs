/** Scenario 3: wall time of `hotwatch doctor --json --root <big tree>` (a fresh node process each run). */
import { startProcess } from '../lib/process.mjs';
import { HOTWATCH_BIN } from '../lib/subjects.mjs';
import { summary } from '../lib/stats.mjs';

export async function doctorScenario({ tree, repeats, say }) {
  const samples = [];
  const errors = [];
  let checks;
  for (let i = 0; i < repeats; i++) {
    const h = startProcess(process.execPath, [HOTWATCH_BIN, 'doctor', '--json', '--root', tree.root], { name: 'hotwatch doctor' });
    const timer = setTimeout(() => h.stop({ sig: 'SIGKILL' }), 60_000);
    const exit = await h.exited;
    clearTimeout(timer);
    await h.stop();
    const wall = exit.t - h.startedAt;
    const out = h.lines
      .filter((l) => l.stream === 'stdout')
      .map((l) => l.text)
      .join('\n');
    try {
      const report = JSON.parse(out);
      checks = Array.isArray(report.checks) ? report.checks.length : undefined;
      samples.push(wall);
      // doctor exits non-zero when it finds a problem; the timing still counts, the code is reported.
      if (exit.code !== 0) errors.push(`run ${i}: exit ${exit.code}`);
    } catch {
      errors.push(`run ${i}: exit ${exit.code ?? exit.signal}, no JSON on stdout: ${h.tail(5)}`);
    }
  }
  const r = { wallMs: summary(samples), samplesMs: samples, checks, errors };
  say(`  doctor: ${samples.map((s) => s.toFixed(0)).join(', ')} ms${errors.length ? ` (${errors.join('; ')})` : ''}`);
  return r;
}
