/**
 * The help is the reference: `hotwatch run --help` lists every flag, the config keys most people set with
 * their flag, every environment variable src/ reads (found by reading src/, so a new one cannot be left
 * out), and the absolute paths of the installed README and JSON Schema, which exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configHelp, mainHelp, referencePaths, runHelp } from '../../src/cli/help.js';
import { RUN_FLAGS } from '../../src/cli/run-flags.js';
import { FLAG_OF } from '../../src/config/load.js';
import { watcherEnvVars } from '../../src/diagnostics/environment.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Environment variables src/ reads: env.NAME, env['NAME'], and HOTWATCH_ / CHOKIDAR_ names in constants. */
function envVarsReadBySrc(): Set<string> {
  const names = new Set<string>();
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) names.add((m[1] ?? m[2])!);
    for (const m of text.matchAll(/['"]((?:HOTWATCH|CHOKIDAR)_[A-Z0-9_]+)['"]/g)) names.add(m[1]!);
  }
  // The doctor's list of other tools' watcher variables is read by name from a table.
  watcherEnvVars(new Proxy({}, { get: (_, k) => (typeof k === 'string' && names.add(k), undefined) }));
  return names;
}

describe('hotwatch run --help', () => {
  const help = runHelp();

  it('lists every flag of run', () => {
    for (const flag of Object.keys(RUN_FLAGS)) expect(help, `--${flag}`).toMatch(new RegExp(`^ {2}(-h, )?--${flag}\\b`, 'm'));
    expect(help).toContain('-- APP ARGS...');
  });

  it('lists the config keys most people set, each beside its flag where there is one', () => {
    for (const [key, flag] of Object.entries(FLAG_OF)) {
      if (key === 'root') continue; // --root is a flag line of its own ("the Go module to watch (root)")
      expect(help, key).toMatch(new RegExp(`^ {2}${key.replace('.', '\\.')} +${flag.replace(/[-.]/g, '\\$&')} `, 'm'));
    }
    for (const key of ['build.cmd', 'build.flags', 'run.env', 'watch.exclude', 'run.onCrash'])
      expect(help).toMatch(new RegExp(`^ {2}${key.replace('.', '\\.')} `, 'm'));
  });

  it('names every environment variable src/ reads', () => {
    const names = envVarsReadBySrc();
    for (const n of ['HOTWATCH_CACHE_DIR', 'HOTWATCH_INOTIFY_HELPER', 'XDG_CACHE_HOME', 'NO_COLOR', 'PATH', 'HOME', 'WATCHPACK_POLLING'])
      expect(names).toContain(n);
    const missing = [...names].filter((n) => !new RegExp(`\\b${n}\\b`).test(help));
    expect(missing, 'read in src/ but not in hotwatch run --help').toEqual([]);
  });

  it('gives the absolute paths of the installed README and JSON Schema, which exist', () => {
    const r = referencePaths();
    for (const p of [r.readme, r.schema, r.example, r.doctorSchema]) {
      expect(path.isAbsolute(p)).toBe(true);
      expect(fs.existsSync(p), p).toBe(true);
    }
    expect(help).toContain(`README       ${r.readme}\n`);
    expect(help).toContain(`JSON Schema  ${r.schema}\n`);
    expect(configHelp()).toContain(r.schema);
  });
});

describe('hotwatch --help', () => {
  it('lists the commands, auto for --log-format, and the reference', () => {
    const help = mainHelp();
    expect(help).toContain('[--log-format auto|pretty|json]');
    for (const cmd of ['hotwatch run ', 'hotwatch config ', 'hotwatch doctor ', 'hotwatch --version']) expect(help).toContain(cmd);
    expect(help).toContain(referencePaths().readme);
  });
});
