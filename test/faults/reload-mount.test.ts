/**
 * Issue 17, config reload with a mount inside the root (hotwatch inside `unshare -Urm`, a bind mount over
 * gen/ made before it starts): the watchdog proves the mount with a sentinel of its own. A reload that
 * excludes gen/ drops the mount's watches, and must drop its sentinel too: a sentinel left in a directory
 * nobody watches any more never comes back, and would be a false "watch.deaf" (mount, sentinel-timeout).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { nsWrap, requireNamespaces, shq } from '../helpers/faults-ns.js';

const fc = faultCase();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('config reload and a mount inside the root (faults, unshare -Urm)', () => {
  it('excluding a bind-mounted dir by a reload drops its sentinel with its watches: no false loss', async () => {
    requireNamespaces('-Urm');
    const app = await fc.app();
    const gen = path.join(app.root, 'gen');
    const other = path.join(app.parent, 'other-gen');
    for (const d of [gen, other]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(other, 'g.go'), 'package gen\n');
    const hw = fc.start({ wrap: nsWrap('-Urm', [`mount --bind ${shq(other)} ${shq(gen)}`]) });
    await app.serves(answer('m1', { src: 's1' }), 'initial build (inside the namespace)');
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watch.ready');
    await sleep(2000); // a few sentinel round trips through the mount (interval 500 ms)
    expect(hw.events('watch.deaf')).toEqual([]);

    const from = hw.logs.length;
    fs.appendFileSync(app.config, 'watch:\n  excludeDirs: [gen]\n');
    const reloaded = await hw.waitForLog((l) => l.event === 'config.reloaded', 'the reload', { from });
    expect(reloaded.watch).toMatchObject({ how: 'reconciled', removed: 1 });
    // Ten sentinel intervals: a sentinel still expected in gen/ would have been called lost by now.
    await sleep(5000);
    expect(hw.events('watch.deaf', from).map((l) => `${l.scope} ${l.path} ${l.cause}`)).toEqual([]);
    // Watching goes on: an edit elsewhere serves.
    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m1', { src: 's2' }), 'an edit after the reload');
  }, 120_000);
});
