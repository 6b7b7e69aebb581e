/**
 * One fault case = one temp Go module + one hotwatch process (maybe inside a namespace). faultCase()
 * registers the afterEach that kills everything the case started (hotwatch, app, builds, namespace
 * helpers: all carry the case's marker) and removes the temp dir, so no case can leak a process.
 * Debugging: FAULTS_LOG_DIR=/some/dir keeps each case's full hotwatch stderr there (named after the test).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import type { Hotwatch } from './hotwatch.js';
import { makeFaultApp, type FaultApp, type FaultAppOptions } from './faults-app.js';
import { startWrapped, stopEverything, type StartOptions } from './faults-hotwatch.js';

export interface FaultCase {
  /** Creates this case's module (call once per test, before start). */
  app: (opts?: FaultAppOptions) => Promise<FaultApp>;
  /** Starts hotwatch on the module created by app(). */
  start: (opts?: StartOptions) => Hotwatch;
}

export function faultCase(): FaultCase {
  let app: FaultApp | undefined;
  let hw: Hotwatch | undefined;
  afterEach(async () => {
    const a = app;
    const h = hw;
    app = undefined;
    hw = undefined;
    if (!a) return;
    try {
      await stopEverything(h, a);
    } finally {
      const keep = process.env.FAULTS_LOG_DIR;
      if (keep && h) {
        const name = (expect.getState().currentTestName ?? a.marker).replace(/[^A-Za-z0-9]+/g, '-').slice(0, 120);
        fs.mkdirSync(keep, { recursive: true });
        fs.writeFileSync(path.join(keep, `${name}.log`), h.stderr());
      }
      a.cleanup();
    }
  });
  return {
    app: async (opts) => {
      app = await makeFaultApp(opts);
      return app;
    },
    start: (opts) => {
      if (!app) throw new Error('faultCase: call app() before start()');
      hw = startWrapped(app, opts);
      return hw;
    },
  };
}
