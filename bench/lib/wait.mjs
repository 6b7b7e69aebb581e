/** Bounded polling: every wait in the benchmark has a deadline and says what it waited for. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `cond` (sync or async) every `intervalMs` until it returns a truthy value, which is returned.
 * Throws after `timeoutMs` with `description`.
 */
export async function waitFor(cond, { timeoutMs, intervalMs = 10, description }) {
  const deadline = performance.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${description}${lastErr ? ` (last error: ${lastErr.message ?? lastErr})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}
