/**
 * What a build step's window claims as the step's own writes (real files: the claim is by content hash).
 * A before-step claims every file (the build after it compiles a person's save made meanwhile); an
 * instead-step only its own files: no build follows it, so a person's save of main.go during it must
 * stay a change, or the edit would be lost in silence.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StepWrites } from '../../src/supervisor/step-writes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tree(): { css: string; main: string } {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-step-writes-'));
  dirs.push(d);
  const css = path.join(d, 'site.css');
  const main = path.join(d, 'main.go');
  fs.writeFileSync(css, 'a{}');
  fs.writeFileSync(main, 'package main\n');
  return { css, main };
}

describe('StepWrites', () => {
  it('a before-step window claims every file written while it ran, until its content changes again', async () => {
    const { css, main } = tree();
    const w = new StepWrites(() => Promise.resolve());
    const close = w.window();
    fs.writeFileSync(css, 'b{}');
    w.note(css);
    fs.writeFileSync(main, 'package main // saved during the step\n');
    w.note(main);
    await close();
    expect(await w.split([css, main])).toEqual({ kept: [], dropped: [css, main] });
    fs.writeFileSync(main, 'package main // a later edit\n');
    expect(await w.split([main])).toEqual({ kept: [main], dropped: [] });
  });

  it('an instead-step window claims only its own files: a save of another file during it stays a change', async () => {
    const { css, main } = tree();
    const w = new StepWrites(() => Promise.resolve());
    const close = w.window((f) => f.endsWith('.css'));
    fs.writeFileSync(css, 'b{}');
    w.note(css);
    fs.writeFileSync(main, 'package main // saved during the step\n');
    w.note(main);
    await close();
    expect(await w.split([css, main])).toEqual({ kept: [main], dropped: [css] });
  });

  it('a change noted while no window is open is never claimed', async () => {
    const { main } = tree();
    const w = new StepWrites(() => Promise.resolve());
    w.note(main);
    await w.window()();
    expect(await w.split([main])).toEqual({ kept: [main], dropped: [] });
  });
});
