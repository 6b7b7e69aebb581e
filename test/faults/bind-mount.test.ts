/**
 * Issue 3, "what it must show" 2: a bind mount placed over a watched subdirectory after hotwatch is ready.
 * hotwatch runs inside `unshare -Urm`; the test enters that mount namespace with nsenter to mount and to
 * edit through the mount (the host does not see the mount). Expected: the edit serves (the watchdog saw
 * the new mount, re-armed and rescanned), or a loud watch.deaf cause mount-changed naming the directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { claimsRecovery, expectNoSentinelBuilds, servesOrLoud, summarize } from '../helpers/faults-loud.js';
import { inNamespaceOf, nsWrap, requireNamespaces, requireNsenter, shq, writeInNamespaceOf } from '../helpers/faults-ns.js';

const fc = faultCase();

describe('bind mount over a watched directory (faults, unshare -Urm)', () => {
  it('mount --bind over src/, then an edit inside it: serves, or a loud mount-changed diagnosis', async () => {
    requireNamespaces('-Urm');
    requireNsenter();
    const app = await fc.app();
    const src = path.join(app.root, 'src');
    const other = path.join(app.parent, 'other-src');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'version.go'), pkgGo('src', 's1'));
    const hw = fc.start({ wrap: nsWrap('-Urm') });
    await app.serves(answer('m1', { src: 's1' }), 'initial build (inside the namespace)');
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watch.ready');
    const from = hw.logs.length;

    inNamespaceOf(hw.pid, `mount --bind ${shq(other)} ${shq(src)}`);
    writeInNamespaceOf(hw.pid, path.join(src, 'version.go'), pkgGo('src', 's2'));
    // Sanity: the write went through the mount (into other-src), not into the host's src/.
    expect(fs.readFileSync(path.join(other, 'version.go'), 'utf8')).toContain('"s2"');
    expect(fs.readFileSync(path.join(src, 'version.go'), 'utf8')).toContain('"s1"');

    const r = await servesOrLoud(
      hw,
      app.port,
      answer('m1', { src: 's2' }),
      { events: ['watch.deaf', 'watch.fallback'], causes: ['mount-changed'], path: src },
      { from, timeoutMs: 30_000, description: 'after the bind mount over src/ and an edit inside it' },
    );
    if (r.served || claimsRecovery(r.line)) {
      if (!r.served)
        await app.serves(answer('m1', { src: 's2' }), `the diagnosis says it recovers ("${r.line.msg}"): the edit inside the mount`);
      // Re-armed on the mount: a later edit inside it serves as well.
      writeInNamespaceOf(hw.pid, path.join(src, 'version.go'), pkgGo('src', 's3'));
      await app.serves(answer('m1', { src: 's3' }), 'a later edit inside the bind mount');
    }
    console.info(
      `bind mount → ${r.served ? 'served' : 'diagnosed'}:\n${summarize(hw.logs.slice(from).filter((l) => String(l.event).startsWith('watch')))}`,
    );
    expectNoSentinelBuilds(hw);
  }, 120_000);
});
