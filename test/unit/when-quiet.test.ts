/** whenQuiet (startup/when-quiet.ts): the start-up's background work waits until the pipeline has been idle a moment. */
import { describe, expect, it } from 'vitest';
import { whenQuiet } from '../../src/startup/when-quiet.js';

describe('whenQuiet', () => {
  it('resolves once busy() said false at 4 checks in a row; a busy answer starts the count again', async () => {
    const answers = [false, true, false, false, false, false];
    let asked = 0;
    const t0 = performance.now();
    await whenQuiet(() => answers[asked++] ?? false, new AbortController().signal, 80);
    expect(asked).toBe(6);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(6 * 20 - 5);
  });

  it('never resolves once the signal aborted', async () => {
    const ac = new AbortController();
    let done = false;
    void whenQuiet(() => false, ac.signal, 40).then(() => (done = true));
    ac.abort();
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
  });
});
