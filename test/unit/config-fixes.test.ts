/**
 * Every fix hotwatch suggests is itself accepted: for a set of bad configs, each concrete fix the message
 * gives (a value to write, a key to write it under, a key to remove) is read back from the text the user
 * sees, applied mechanically to the YAML file, and the file then validates. And a file with several
 * mistakes reports all of them together (up to 10), each at its file:line:col.
 */
import { isMap, parseDocument, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MAX_PROBLEMS, parseConfigText } from '../../src/config/parse-config.js';
import { HotwatchError } from '../../src/errors.js';

type Path = Array<string | number>;
type Fix =
  | { kind: 'set'; path: Path; value: unknown }
  | { kind: 'remove'; path: Path }
  | { kind: 'move'; from: Path; to: Path; value?: unknown };

/** `watch.exclude[1]`, `build.cmd` → a path. */
function parsePath(text: string): Path {
  const out: Path = [];
  for (const m of text.matchAll(/([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  }
  return out;
}

/** A value as the fix writes it (YAML flow: "x", 'a\[b', [a, b], 8080). */
const yamlValue = (text: string): unknown => parseYaml(text);

/** The problems of an error: each with its path (from the message), message and hint. */
function problemsOf(e: HotwatchError): Array<{ path: Path; message: string; hint: string | undefined }> {
  const list = e.problems.length > 0 ? e.problems : [e];
  return list.map((p) => {
    const m = /^([^ :]+): /.exec(p.message);
    if (!m) throw new Error(`no key path in ${JSON.stringify(p.message)}`);
    return { path: parsePath(m[1]!), message: p.message, hint: p.hint };
  });
}

/**
 * The concrete fixes one problem's text gives, each an alternative. Words without a value ("indent
 * key: value lines under build") are not concrete fixes and give none.
 */
function fixesOf(p: { path: Path; message: string; hint: string | undefined }): Fix[] {
  const out: Fix[] = [];
  const key = /\(did you mean ([A-Za-z][\w.]*)\?\)$/.exec(p.message);
  const written = p.hint ? /^write it as (\S+): (.+)$/.exec(p.hint) : null;
  if (written) return [{ kind: 'move', from: p.path, to: parsePath(written[1]!), value: yamlValue(written[2]!) }];
  if (key) return p.hint?.startsWith('as ') ? [] : [{ kind: 'move', from: p.path, to: parsePath(key[1]!) }];
  const value = /\(did you mean ("[^"]*")\?\)$/.exec(p.message);
  if (value) out.push({ kind: 'set', path: p.path, value: JSON.parse(value[1]!) });
  // A bare number's units: `e.g. "5s" for seconds or "5ms" for milliseconds (units: ...)`, each a fix.
  const units = /, e\.g\. (.*) \(units/.exec(p.message)?.[1] ?? '';
  for (const [q] of units.matchAll(/"[^"]*"/g)) out.push({ kind: 'set', path: p.path, value: JSON.parse(q) });
  if (p.hint === undefined) return out;
  const body = p.hint.replace(/^make \S+ at most \S+: e\.g\. /, '');
  for (const alt of body.split(', or ')) {
    let m: RegExpExecArray | null;
    if ((m = /^(?:also )?set (\S+): (.+)$/.exec(alt))) out.push({ kind: 'set', path: parsePath(m[1]!), value: yamlValue(m[2]!) });
    else if (/^(give it a value|give it a length above zero)$/.test(alt)) continue;
    else if (/^(remove it|remove the key)\b/.test(alt)) out.push({ kind: 'remove', path: p.path });
    else if ((m = /^write (".*?"|'.*?') \(/.exec(alt))) out.push({ kind: 'set', path: p.path, value: yamlValue(m[1]!) });
    else if ((m = /^[^:]*: (\S.*)$/.exec(alt))) out.push({ kind: 'set', path: p.path, value: yamlValue(m[1]!) });
    else if ((m = /^write (\S+)$/.exec(alt))) out.push({ kind: 'set', path: p.path, value: yamlValue(m[1]!) });
  }
  return out;
}

/** The file with the fixes applied, through the YAML document (as a person would edit it). */
function apply(text: string, fixes: readonly Fix[]): string {
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  for (const f of fixes) {
    if (f.kind === 'set') doc.setIn(f.path, f.value);
    else if (f.kind === 'remove') doc.deleteIn(f.path);
    else {
      const value = 'value' in f && f.value !== undefined ? f.value : doc.getIn(f.from);
      doc.deleteIn(f.from);
      doc.setIn(f.to, value);
    }
  }
  return doc.toString();
}

function error(text: string): HotwatchError {
  try {
    parseConfigText(text, 'watcher.config.yaml');
  } catch (e) {
    if (e instanceof HotwatchError) return e;
    throw e;
  }
  throw new Error(`accepted: ${text}`);
}

const accepted = (text: string): boolean => {
  try {
    parseConfigText(text, 'watcher.config.yaml');
    return true;
  } catch {
    return false;
  }
};

/** [bad file, how many concrete fixes its message must give]. */
const BAD: Array<[string, number]> = [
  ['watch:\n  extensions: go, html\n', 1], // was `write a list: ["go, html"]`, itself refused
  ['watch:\n  extensions: "go html"\n', 1],
  ['watch:\n  extensions: ["*.go"]\n', 1],
  ['watch:\n  include: go.work\n', 1],
  ['build:\n  flags: -race\n', 1],
  ['run:\n  args: [-port, 8080]\n', 1],
  ['run:\n  args: [a, ~]\n', 1],
  ['run:\n  port: "8080"\n', 1],
  ['watch:\n  bufferCapacity: "8192"\n', 1],
  ['debounce:\n  quiet: 300\n', 1],
  ['debounce:\n  maxWait: 20\n', 1], // "20ms" would be shorter than quiet (50ms): "20s"
  ['run:\n  backoffMax: 100\n', 1], // "100ms" would be below backoffInitial (500ms): "100s"
  ['run:\n  gracePeriod: 5\n', 2], // "5s" (likelier) and "5ms"
  ['run:\n  backoffMax: 1000h\n', 1], // longer than Node's timers: "596h"
  ['build:\n  timeout: 1000h\n', 1],
  ['build:\n  timeout: 5 sec\n', 1],
  ['build:\n  timeout: "300"\n', 1],
  ['build:\n  timeout: 0s\n', 1],
  ['build:\n  onFailure: keep-runing\n', 1],
  ['run:\n  stopSignal: int\n', 1],
  ['log:\n  level: INFO\n', 1],
  ['build:\n  cmnd: go build -o .hotwatch/bin/app .\n', 1],
  ['timeout: 5s\n', 1],
  ['debounce:\n  max_wait: 2\n', 1], // maxWait, and 2 needs a unit: "2ms" is below quiet, "2s" is not
  ['watch:\n  exclude: ["**/*.{go,tmpl"]\n', 2],
  ['watch:\n  include: ["web/[a-z.html"]\n', 2],
  ['watch:\n  include: ["abc]"]\n', 2],
  ['watch:\n  exclude: ["foo\\\\"]\n', 1],
  ['watch:\n  exclude: ["/src/*.go"]\n', 1],
  ['watch:\n  exclude: ["../shared/**"]\n', 1],
  ['watch:\n  exclude: [""]\n', 1],
  ['debounce:\n  quiet: 2s\n', 2],
  ['debounce:\n  maxWait: 20ms\n', 2],
  ['debounce:\n  settledQuiet: 100ms\n', 1], // "also set loneQuiet: 100ms" would put loneQuiet over quiet (50ms)
  ['debounce:\n  loneQuiet: 3s\n  quiet: 100ms\n', 1], // "also set quiet: 3s" would put quiet over maxWait (1s)
  ['run:\n  backoffInitial: 10s\n  backoffMax: 1s\n', 2],
  ['proxy:\n  enabled: true\n  appPort: 8081\n', 2], // a fixed port with proveNewVersion (the default)
  ['proxy:\n  appPort: 8081\n  proveNewVersion: true\n', 2],
  ['proxy:\n  port: 3000\n  appPort: 3000\n  proveNewVersion: false\n', 1],
  ['proxy:\n  healthPath: healthz\n', 0],
];

describe('every suggested fix is accepted when applied', () => {
  it.each(BAD)('%j', (text, count) => {
    const e = error(text);
    const problems = problemsOf(e);
    expect(problems).toHaveLength(1);
    const fixes = fixesOf(problems[0]!);
    expect(fixes, e.format()).toHaveLength(count);
    for (const fix of fixes) {
      const fixed = apply(text, [fix]);
      expect(accepted(fixed), `${e.format()}\n--- applying ${JSON.stringify(fix)} gives ---\n${fixed}`).toBe(true);
    }
  });

  it('the list fix for "go, html" is the two extensions', () => {
    expect(error('watch:\n  extensions: go, html\n').format()).toBe(
      'watcher.config.yaml:2:15 watch.extensions: expected a list, got a string ("go, html")\n  fix: write a list: ["go", "html"]',
    );
  });

  it('an unknown key whose value is refused there too: the fix gives both', () => {
    expect(error('debounce:\n  max_wait: 2\n').format()).toBe(
      'watcher.config.yaml:2:3 debounce.max_wait: unknown key (did you mean debounce.maxWait?)\n  fix: write it as debounce.maxWait: "2s"',
    );
  });

  it('a file with several mistakes: applying the first fix of each makes it valid', () => {
    const text =
      'watch:\n  extensions: go, html\n  exclude: ["**/*.{go,tmpl"]\nbuild:\n  cmnd: go build\n  timeout: 5 sec\nrun:\n  port: "8080"\n  stopSignal: int\n';
    const problems = problemsOf(error(text));
    expect(problems.map((p) => p.path.join('.'))).toEqual([
      'watch.extensions',
      'watch.exclude.0',
      'build.cmnd',
      'build.timeout',
      'run.port',
      'run.stopSignal',
    ]);
    const firsts = problems.map((p) => fixesOf(p)[0]!);
    expect(accepted(apply(text, firsts)), apply(text, firsts)).toBe(true);
  });
});

describe('several mistakes are reported together', () => {
  it('three mistakes: all three, in file order, each at its file:line:col', () => {
    const e = error('build:\n  onFailure: sometimes\nrun:\n  port: high\nwatch:\n  extnsions: [go]\n');
    expect(e.exitCode).toBe(2);
    expect(e.format()).toBe(
      'watcher.config.yaml: 3 problems\n' +
        'watcher.config.yaml:2:14 build.onFailure: "sometimes" is not one of keep-running, stop\n' +
        'watcher.config.yaml:4:9 run.port: expected a number, got a string ("high")\n' +
        '  fix: write a whole number, without quotes: e.g. port: 8080\n' +
        'watcher.config.yaml:6:3 watch.extnsions: unknown key (did you mean watch.extensions?)',
    );
  });

  it(`more than ${MAX_PROBLEMS}: the first ${MAX_PROBLEMS} shown, and how many there were`, () => {
    const keys = Array.from({ length: 12 }, (_, i) => `  bad${i}: 1`).join('\n');
    const e = error(`run:\n${keys}\n`);
    expect(e.message).toBe(`watcher.config.yaml: 12 problems, the first ${MAX_PROBLEMS} shown`);
    expect(e.problems).toHaveLength(MAX_PROBLEMS);
    expect(e.problems.map((p) => p.where)).toEqual(Array.from({ length: MAX_PROBLEMS }, (_, i) => `watcher.config.yaml:${i + 2}:3`));
  });

  it('a YAML syntax error is reported alone (what follows it cannot be read reliably)', () => {
    const e = error('build:\n\tcmd: x\nrun:\n  port: x\n');
    expect(e.problems).toHaveLength(0);
    expect(e.format()).toMatch(/^watcher\.config\.yaml:2:1 invalid YAML: Tabs/);
  });
});
