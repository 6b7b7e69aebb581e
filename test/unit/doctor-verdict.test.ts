/**
 * hotwatch doctor's verdict line tells "watching will not work" from "watching works, but the app will
 * not start" (a port in use, not a main package, no go.mod): rendered from synthetic checks, and from
 * runDoctor on real temp modules on this machine.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/settings.js';
import { inputErrorReport, runDoctor } from '../../src/diagnostics/doctor.js';
import { parseConfigText } from '../../src/config/parse-config.js';
import { DoctorReportSchema } from '../../src/diagnostics/report-schema.js';
import { HotwatchError } from '../../src/errors.js';
import { renderReport, verdictText } from '../../src/diagnostics/render.js';
import { exitCodeOf, isAppCheck, type Check } from '../../src/diagnostics/report-schema.js';
import { makeTmpDir } from '../helpers/tmp.js';

const check = (id: string, status: Check['status']): Check => ({ id, title: id, status, detail: '' });

describe('verdictText', () => {
  it.each([
    [[check('inotify.watches', 'ok'), check('go.package', 'ok')], '✓ watching will work here'],
    [[check('fs.root', 'warn'), check('go.package', 'ok')], '⚠ watching will work, degraded (polling or caveats above)'],
    [[check('inotify.watches', 'fail'), check('go.package', 'ok')], '✗ watching will not work here until the problems above are fixed'],
    [
      [check('inotify.watches', 'fail'), check('run.port', 'fail')],
      '✗ watching will not work here until the problems above are fixed (nor will the app start)',
    ],
    [
      [check('inotify.watches', 'ok'), check('run.port', 'fail')],
      '✗ watching works, but the app will not start until the problems above are fixed',
    ],
    [
      [check('fs.root', 'warn'), check('go.module', 'fail')],
      '✗ watching works (degraded: polling or caveats above), but the app will not start until the problems above are fixed',
    ],
    [
      [check('tree.scan', 'fail'), check('go.found', 'fail')],
      '✗ watching will not work here until the problems above are fixed (nor will the app start)',
    ],
  ] as const)('%#: %s', (checks, text) => {
    expect(verdictText(checks)).toBe(text);
  });

  it('the app checks are the toolchain, module, package, output and port; the rest is watching', () => {
    for (const id of ['go.found', 'go.module', 'go.package', 'build.output', 'run.port', 'toolchain'])
      expect(isAppCheck(id), id).toBe(true);
    for (const id of ['inotify.watches', 'inotify.instances', 'fs.root', 'fs.mount:/x', 'tree.scan', 'env.pid1', 'input.flag_invalid'])
      expect(isAppCheck(id), id).toBe(false);
  });
});

describe('runDoctor on real modules', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTmpDir();
    fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/x\n\ngo 1.22\n');
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\nfunc main(){}\n');
  });
  afterEach(() => tmp.cleanup());
  const settings = (cfg: ConfigInput = {}) =>
    resolveSettings(ConfigSchema.parse(cfg), { baseDir: tmp.dir, configFile: undefined, isTTY: false });
  const verdictLine = (text: string) => text.split('\n').find((l) => /^[✓⚠✗] /.test(l))!;

  it('healthy: watching ok, app ok', async () => {
    const r = await runDoctor(settings());
    expect(r).toMatchObject({ verdict: 'ok', watching: 'ok', app: 'ok' });
    expect(verdictLine(renderReport(r, { color: false }))).toMatch(/^✓ watching will work here \(/);
  });

  it('no go.mod, a library instead of a main package, a port in use: watching works, the app will not start (exit 2)', async () => {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const cases: Array<[string, () => void, ConfigInput]> = [
        ['no go.mod', () => fs.rmSync(path.join(tmp.dir, 'go.mod')), {}],
        ['not a main package', () => fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package lib\n'), {}],
        ['a port in use', () => undefined, { run: { port } }],
      ];
      for (const [what, change, cfg] of cases) {
        fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/x\n\ngo 1.22\n');
        fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\nfunc main(){}\n');
        change();
        const r = await runDoctor(settings(cfg));
        expect(r.verdict, what).toBe('broken');
        expect(r.app, what).toBe('broken');
        expect(r.watching, what).not.toBe('broken');
        expect(exitCodeOf(r.verdict)).toBe(2);
        expect(verdictLine(renderReport(r, { color: false })), what).toMatch(
          /^✗ watching works(?: \(degraded[^)]*\))?, but the app will not start until the problems above are fixed \(/,
        );
      }
    } finally {
      srv.close();
    }
  });

  it('a root that cannot be scanned: watching will not work', async () => {
    const r = await runDoctor(
      resolveSettings(ConfigSchema.parse({}), { baseDir: path.join(tmp.dir, 'missing'), configFile: undefined, isTTY: false }),
    );
    expect(r).toMatchObject({ verdict: 'broken', watching: 'broken' });
    expect(verdictLine(renderReport(r, { color: false }))).toMatch(/^✗ watching will not work here until the problems above are fixed/);
  });
});

describe('doctor --json on a config with several mistakes', () => {
  it('one failing check per mistake, each with its place and fix', () => {
    let e: unknown;
    try {
      parseConfigText('watch:\n  extensions: go, html\nbuild:\n  cmnd: x\n', 'watcher.config.yaml');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(HotwatchError);
    const r = inputErrorReport('/m', '/m/watcher.config.yaml', e as HotwatchError);
    expect(DoctorReportSchema.parse(JSON.parse(JSON.stringify(r)))).toBeTruthy();
    expect(r.verdict).toBe('broken');
    expect(r.checks.map((c) => [c.id, c.detail, c.fix?.text])).toEqual([
      [
        'input.config_invalid:1',
        'watcher.config.yaml:2:15 watch.extensions: expected a list, got a string ("go, html")',
        'write a list: ["go", "html"]',
      ],
      [
        'input.config_invalid:2',
        'watcher.config.yaml:4:3 build.cmnd: unknown key (did you mean build.cmd?)',
        'Fix the flags or the config file (hotwatch doctor --help).',
      ],
    ]);
  });
});
