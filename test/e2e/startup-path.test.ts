/**
 * Issue 19 (lean start-up): what `hotwatch run` loads before its first build's spawn is the static import
 * graph of dist/bundle/main.js and the run chunk (bin/hotwatch.js imports them; everything else is
 * loaded by dynamic import, after the spawn or only when a run needs it: the logger, the runtime, the
 * supervisor, the proxy and the service load while the first build runs). Checked on the built bundle (the
 * code that ships): the pretty log format's modules (pino-pretty) and pino's transports (thread-stream)
 * are not on that path, and a JSON run works without them, pretty output still loading them on demand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const BUNDLE = path.join(REPO, 'dist', 'bundle');

/** The files of the bundle reached from `entry` by static imports only (`import … from "./x.js"`, `import "./x.js"`). */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = fs.readFileSync(path.join(BUNDLE, file), 'utf8');
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([\w.-]+\.js)["']/g)) visit(m[1]!);
  };
  visit(entry);
  return [...seen];
}

describe('the start-up path of the bundle', () => {
  it('main and the run chunk load neither pino-pretty nor thread-stream; the pretty chunk holds pino-pretty', () => {
    const runChunk = fs.readdirSync(BUNDLE).find((f) => /^run-[\w]+\.js$/.test(f));
    expect(runChunk, 'dist/bundle has a run chunk (npm run build)').toBeDefined();
    const mainText = fs.readFileSync(path.join(BUNDLE, 'main.js'), 'utf8');
    expect(mainText, 'main.js loads the run chunk by dynamic import').toContain(runChunk);
    const files = [...new Set([...staticClosure('main.js'), ...staticClosure(runChunk!)])];
    expect(files.length).toBeGreaterThan(2);
    const code = files.map((f) => fs.readFileSync(path.join(BUNDLE, f), 'utf8')).join('\n');
    // pino-pretty's option names, and thread-stream's worker protocol, as they appear in their code.
    expect(code).not.toContain('translateTime');
    expect(code).not.toContain('messageFormat');
    expect(code).not.toMatch(/\bparentPort\b/);
    const pretty = fs.readdirSync(BUNDLE).find((f) => /^pretty-[\w]+\.js$/.test(f));
    expect(pretty, 'the pretty format is a chunk of its own').toBeDefined();
    expect(fs.readFileSync(path.join(BUNDLE, pretty!), 'utf8')).toContain('translateTime');
    // Loaded on demand by the logger, itself loaded after the first build's spawn (startup/early-build.ts).
    const logger = fs.readdirSync(BUNDLE).find((f) => /^logger-[\w]+\.js$/.test(f));
    expect(logger, 'the logger is a chunk of its own').toBeDefined();
    expect(code, 'the run chunk imports the logger on demand').toContain(logger);
    expect(fs.readFileSync(path.join(BUNDLE, logger!), 'utf8')).toContain(pretty);
  });

  it('before the first build is spawned, only the config, the checks, the claim and the spawn are loaded', () => {
    const runChunk = fs.readdirSync(BUNDLE).find((f) => /^run-[\w]+\.js$/.test(f))!;
    const files = [...new Set([...staticClosure('main.js'), ...staticClosure(runChunk)])];
    // What each file was bundled from (its source map): the modules on the path to the spawn.
    const sources = files.flatMap(
      (f) => (JSON.parse(fs.readFileSync(path.join(BUNDLE, `${f}.map`), 'utf8')) as { sources: string[] }).sources,
    );
    const on = (name: string): boolean => sources.some((src) => src.endsWith(name));
    for (const needed of ['src/config/load.ts', 'src/preflight.ts', 'src/state-file.ts', 'src/startup/early-build.ts'])
      expect(on(needed), `${needed} is on the path`).toBe(true);
    for (const later of [
      'src/runtime.ts',
      'src/log/logger.ts',
      'src/supervisor/supervisor.ts',
      'src/proxy-driver.ts',
      'src/service-wiring.ts',
    ])
      expect(on(later), `${later} loads after the spawn`).toBe(false);
    expect(
      sources.some((src) => src.includes('node_modules/pino/')),
      'pino loads after the spawn',
    ).toBe(false);
  });
});

describe('both log formats from the bundle', () => {
  const session = hotwatchSession();

  it('a JSON run builds and serves', async () => {
    const hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } });
    session.hw = hw;
    await session.serves('v1');
    expect(hw.events('build.start').length).toBeGreaterThan(0);
  });

  it('a pretty run builds and serves, its lines formatted by pino-pretty (loaded on demand)', async () => {
    const hw = startHotwatch(['--log-format', 'pretty'], { cwd: session.dir, env: { PORT: String(session.port) } });
    session.hw = hw;
    await session.serves('v1');
    await waitFor(() => /\d\d:\d\d:\d\d\.\d{3}\] INFO: .*watching \d+ director/.test(hw.stderr()), {
      description: 'a pretty "watching" line',
      timeoutMs: 30_000,
    });
  });
});
