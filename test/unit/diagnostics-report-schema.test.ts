import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/settings.js';
import { inputErrorReport, quickCheck, runDoctor } from '../../src/diagnostics/doctor.js';
import { DOCTOR_SCHEMA_FILE, doctorSchemaText } from '../../src/diagnostics/emit-doctor-schema.js';
import { renderReport } from '../../src/diagnostics/render.js';
import { DoctorReportSchema, exitCodeOf, verdictOf, type Check, type DoctorReport } from '../../src/diagnostics/report-schema.js';
import { validateJsonSchema } from '../helpers/json-schema.js';
import { makeTmpDir } from '../helpers/tmp.js';

const published = () => JSON.parse(fs.readFileSync(DOCTOR_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;

describe('schema/doctor.schema.json', () => {
  it('matches the zod schema (regenerate: npx tsc -p . && node dist/diagnostics/emit-doctor-schema.js)', () => {
    expect(fs.readFileSync(DOCTOR_SCHEMA_FILE, 'utf8')).toBe(doctorSchemaText());
  });
  it('the validator rejects what the schema forbids (so a pass means something)', () => {
    const s = published();
    expect(validateJsonSchema(s, {})).toContain('$.verdict: required');
    const bad = {
      schemaVersion: 1,
      version: 'x',
      root: '/',
      configFile: null,
      generatedAt: 'x',
      durationMs: 1,
      verdict: 'fine',
      checks: [{ id: 'a', title: 'a', status: 'ok', detail: 'd', extra: 1 }],
      facts: {},
    };
    const errs = validateJsonSchema(s, bad);
    expect(errs).toContain('$.verdict: "fine" not in ["ok","degraded","broken"]');
    expect(errs).toContain('$.checks[0].extra: not allowed');
  });
});

describe('inputErrorReport (doctor --json on bad input)', () => {
  it('is a valid document: verdict broken, one failing check with the problem and the fix', () => {
    const r = inputErrorReport('/nonexistent', undefined, {
      code: 'ROOT_UNREADABLE',
      message: '/nonexistent does not exist',
      where: '--root /nonexistent:',
      hint: 'pass the directory of your Go module',
    });
    const json = JSON.parse(JSON.stringify(r)) as unknown;
    expect(validateJsonSchema(published(), json)).toEqual([]);
    expect(DoctorReportSchema.parse(json)).toEqual(json);
    expect(r).toMatchObject({ verdict: 'broken', root: '/nonexistent', configFile: null, facts: {} });
    expect(r.checks).toEqual([
      {
        id: 'input.root_unreadable',
        title: 'Input',
        status: 'fail',
        detail: '--root /nonexistent: /nonexistent does not exist',
        fix: { text: 'pass the directory of your Go module' },
      },
    ]);
    expect(exitCodeOf(r.verdict)).toBe(2);
  });
});

describe('verdict and exit code', () => {
  const c = (status: Check['status']): Check => ({ id: status, title: status, status, detail: '' });
  it.each([
    [[c('ok'), c('info')], 'ok', 0],
    [[c('ok'), c('warn')], 'degraded', 1],
    [[c('warn'), c('fail')], 'broken', 2],
    [[], 'ok', 0],
  ] as const)('%#', (checks, verdict, code) => {
    expect(verdictOf(checks)).toBe(verdict);
    expect(exitCodeOf(verdict)).toBe(code);
  });
});

describe('runDoctor in-process on the real machine', () => {
  let tmp: { dir: string; cleanup: () => void };
  let report: DoctorReport;
  const settings = (cfg: ConfigInput = {}, root = tmp.dir) =>
    resolveSettings(ConfigSchema.parse(cfg), { baseDir: root, configFile: undefined, isTTY: false });

  beforeAll(async () => {
    tmp = makeTmpDir();
    fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/x\n\ngo 1.22\n');
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\nfunc main(){}\n');
    for (const d of ['a/b', 'c', 'node_modules/x/y', '.git/objects']) fs.mkdirSync(path.join(tmp.dir, d), { recursive: true });
    report = await runDoctor(settings());
  });
  afterAll(() => tmp.cleanup());

  it('the JSON document validates against the published schema and the zod schema', () => {
    const json = JSON.parse(JSON.stringify(report)) as unknown;
    expect(validateJsonSchema(published(), json)).toEqual([]);
    expect(DoctorReportSchema.parse(json)).toEqual(json);
  });

  it('counts the directories after excludes and reports every area', () => {
    expect(report.facts.budget).toMatchObject({ dirs: 4, watchesNeeded: 5 }); // root, a, a/b, c + the sentinel dir
    const ids = report.checks.map((c) => c.id);
    for (const id of [
      'inotify.watches',
      'inotify.instances',
      'fs.root',
      'go.found',
      'go.module',
      'go.package',
      'build.output',
      'env.pid1',
      'env.nofile',
    ])
      expect(ids).toContain(id);
    expect(report.verdict).toBe('ok');
    expect(report.root).toBe(tmp.dir);
  });

  it('renders ✓ per check and the verdict line', () => {
    const text = renderReport(report, { color: false });
    expect(text).toContain(
      "✓ inotify watches: this repo needs 5 watches (4 directories after excludes, plus 1 for the watchdog's sentinel directory)",
    );
    expect(text).toContain('✓ watching will work here');
    expect(text).not.toContain('\x1b[');
    expect(renderReport(report, { color: true })).toContain('\x1b[32m✓\x1b[0m');
  });

  it('renders fixes indented under the problem, with files and commands', () => {
    const broken: DoctorReport = {
      ...report,
      verdict: 'broken',
      checks: [
        {
          id: 'inotify.watches',
          title: 'inotify watches',
          status: 'fail',
          detail: 'line one\nline two',
          fix: {
            text: 'Raise it.',
            files: [{ path: '/etc/sysctl.d/60-hotwatch.conf', content: 'a = 1\n' }],
            commands: ['sudo sysctl --system'],
          },
        },
      ],
    };
    expect(renderReport(broken, { color: false })).toContain(
      '  ✗ inotify watches: line one\n      line two\n      fix: Raise it.\n        file /etc/sysctl.d/60-hotwatch.conf:\n          a = 1\n        $ sudo sysctl --system',
    );
  });

  it('a check that throws becomes ✗ with the reason, never a crash', async () => {
    const r = await runDoctor(settings({}, path.join(tmp.dir, 'missing')));
    const scan = r.checks.find((c) => c.id === 'tree.scan')!;
    expect(scan.status).toBe('fail');
    expect(scan.detail).toContain('cannot watch');
    expect(r.verdict).toBe('broken');
    expect(r.facts.budget?.error).toContain('ENOENT');
  });

  it('a check that overruns its time limit becomes ✗ saying so', async () => {
    const r = await runDoctor(settings(), { checkTimeoutMs: 1 });
    const timedOut = r.checks.filter((c) => c.detail.includes('did not finish within'));
    expect(timedOut.length).toBeGreaterThan(0);
    expect(timedOut.every((c) => c.status === 'fail')).toBe(true);
  });

  it('quickCheck returns only problems (none here), and the budget problem when given a count', async () => {
    expect(await quickCheck(settings())).toEqual([]);
    const problems = await quickCheck(settings(), { dirs: 1e9 });
    expect(problems.map((p) => p.id)).toEqual(['inotify.watches']);
    expect(problems[0]!.status).toBe('warn'); // watchdog.overBudget: poll → hotwatch run polls (degraded)
    expect((await quickCheck(settings({ watchdog: { overBudget: 'refuse' } }), { dirs: 1e9 }))[0]!.status).toBe('fail');
    expect((await quickCheck(settings({ watch: { backend: 'poll' } }))).map((p) => p.id)).toEqual(['fs.root']);
  });
});
