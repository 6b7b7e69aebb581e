/**
 * examples/docker/: no docker here, so the files are parsed and checked against each other and against
 * the package: compose.yaml with the yaml package (errors are failures), the Dockerfile by a small strict
 * reader (instructions, continuations, exec-form JSON), and by dockerfile-utils' linter where installed.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/hotwatch.js';

const DIR = path.join(REPO, 'examples', 'docker');
const INSTRUCTIONS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

interface Instruction {
  line: number;
  name: string;
  args: string;
}

/** Instructions with their continuation lines joined; comments and the parser directive dropped. */
function readDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | undefined;
  text.split('\n').forEach((raw, k) => {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending && line.trimStart().startsWith('#')) return; // a comment inside a continuation
    const body = line.endsWith('\\') ? line.slice(0, -1) : line;
    if (pending) pending.args += ` ${body.trim()}`;
    else {
      const m = /^([A-Za-z]+)\s+(.*)$/.exec(body.trim());
      if (!m || !INSTRUCTIONS.has(m[1]!.toUpperCase())) throw new Error(`line ${k + 1}: not an instruction: ${raw}`);
      pending = { line: k + 1, name: m[1]!.toUpperCase(), args: m[2]! };
    }
    if (!line.endsWith('\\')) {
      out.push(pending!);
      pending = undefined;
    }
  });
  if (pending) out.push(pending); // a continuation at the end of the file ends there, as docker reads it
  return out;
}

/** An exec-form argument list (JSON array of strings), as docker requires for ENTRYPOINT/CMD to get signals. */
function execForm(args: string): string[] {
  const v = JSON.parse(args) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not an exec form: ${args}`);
  return v;
}

const dockerfile = () => readDockerfile(fs.readFileSync(path.join(DIR, 'Dockerfile'), 'utf8'));

interface ComposeFile {
  services: {
    app: {
      init?: boolean;
      volumes: [{ type: string; target: string }, ...string[]];
      healthcheck: { test: string[] };
      stop_grace_period: string;
    };
  };
  volumes: Record<string, unknown>;
}

function compose(): ComposeFile {
  const doc = parseDocument(fs.readFileSync(path.join(DIR, 'compose.yaml'), 'utf8'), { prettyErrors: true, uniqueKeys: true });
  expect(doc.errors.map(String)).toEqual([]);
  expect(doc.warnings.map(String)).toEqual([]);
  return doc.toJS() as ComposeFile;
}

describe('examples/docker', () => {
  it('compose.yaml: init, the bind-mounted module, Go caches in named volumes, the status healthcheck', () => {
    const c = compose();
    const app = c.services.app;
    expect(app.init).toBe(true);
    expect(app.volumes[0]).toMatchObject({ type: 'bind', target: '/src' });
    const named = (app.volumes.slice(1) as string[]).map((v) => v.split(':'));
    expect(named.map((v) => v[0]).sort()).toEqual(Object.keys(c.volumes).sort());
    expect(app.healthcheck.test).toEqual(['CMD', 'hotwatch', 'status', '--check', '--root', '/src']);
    expect(Number.parseInt(app.stop_grace_period, 10)).toBeGreaterThan(5 + 5); // run.gracePeriod 5 s, plus the stop around it
    // The comment on polling names the mount types src/os/mounts.ts polls.
    const text = fs.readFileSync(path.join(DIR, 'compose.yaml'), 'utf8');
    for (const t of ['virtiofs', 'grpcfuse/fakeowner', '9p']) expect(text).toContain(t);
  });

  it('Dockerfile: parses strictly; caches, healthcheck and entrypoint agree with compose.yaml and the package', () => {
    const ins = dockerfile();
    const stages = ins.filter((i) => i.name === 'FROM').map((i) => / AS (\S+)$/i.exec(i.args)?.[1]);
    for (const cp of ins.filter((i) => i.name === 'COPY' && i.args.startsWith('--from='))) {
      expect(stages).toContain(/--from=(\S+)/.exec(cp.args)![1]);
    }
    const env = Object.fromEntries(
      ins.filter((i) => i.name === 'ENV').flatMap((i) => i.args.split(/\s+/).map((kv) => kv.split('=') as [string, string])),
    );
    const targets = (compose().services.app.volumes.slice(1) as string[]).map((v) => v.split(':')[1]);
    expect([env.GOCACHE, env.GOMODCACHE].sort()).toEqual(targets.sort());
    const health = ins.find((i) => i.name === 'HEALTHCHECK')!;
    expect(execForm(health.args.slice(health.args.indexOf('CMD') + 4))).toEqual(compose().services.app.healthcheck.test.slice(1));
    expect(execForm(ins.find((i) => i.name === 'ENTRYPOINT')!.args).slice(0, 2)).toEqual(['hotwatch', 'run']);
    // What the image runs from the installed package exists in it.
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toEqual(
      expect.arrayContaining([
        'dist/bundle/*.js',
        'src/service/helper/main.go',
        'src/service/helper/go.mod',
        'src/watch/native/helper/main.go',
      ]),
    );
    // The helpers are built into the image by the installed CLI (the package ships only the bundle).
    expect(ins.some((i) => i.name === 'RUN' && /\bhotwatch helpers\b/.test(i.args))).toBe(true);
  });

  it('the strict reader rejects what docker would', () => {
    expect(() => readDockerfile('FORM golang\n')).toThrow(/not an instruction/);
    expect(() => readDockerfile('FROM x\nEXPOSE\n')).toThrow(/not an instruction/);
    expect(() => execForm('[hotwatch, run]')).toThrow();
  });

  it("Dockerfile: dockerfile-utils (the linter behind editors' Dockerfile support) finds no problem, and finds a planted one", () => {
    const utils = createRequire(import.meta.url)('dockerfile-utils') as { validate(text: string): Array<{ message: string }> };
    const text = fs.readFileSync(path.join(DIR, 'Dockerfile'), 'utf8');
    expect(utils.validate(text).map((d) => d.message)).toEqual([]);
    expect(utils.validate(text.replace('HEALTHCHECK --interval', 'HEALTHCHECK --intervl')).length).toBe(1);
  });
});
