/**
 * No /proc (unmounted in a container, hidden by a tmpfs here, inside `unshare -Urm`): no process of the
 * app can be looked for, so the last line must not say "nothing left running" (an escapee of the app's
 * tree kept serving while it did).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { answer } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { nsWrap, requireNamespaces } from '../helpers/faults-ns.js';

const fc = faultCase();

describe('no /proc (faults, unshare -Urm)', () => {
  it('the exit does not claim nothing is left running: it says it cannot look, and how to', async () => {
    requireNamespaces('-Urm');
    const app = await fc.app();
    // go finds its GOROOT through /proc/self/exe: without /proc it must be told.
    const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
    const hw = fc.start({ wrap: nsWrap('-Urm', ['mount -t tmpfs none /proc']), env: { GOROOT: goroot } });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    expect((await hw.stop()).code).toBe(0);
    const exit = hw.events('exit').at(-1);
    expect(exit).toMatchObject({ unverified: true });
    expect(String(exit?.msg)).toContain('cannot be looked for (no /proc): check with ps');
    expect(String(exit?.msg)).not.toContain('nothing left running');
  }, 120_000);
});
