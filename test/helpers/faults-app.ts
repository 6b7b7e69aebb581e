/**
 * The Go module every fault case runs hotwatch on: a temp parent dir (outside the repo) holding the config
 * file and the module root `mod/`, whose main package imports the package in `mod/src/` (and, optionally,
 * more packages). The app answers "main=<v> src=<v> [pkg=<v> ...]" so one GET tells which edit is live.
 * The config lives OUTSIDE the root, so replacing the root never touches it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeTmpDir } from './tmp.js';
import { freePort, httpGet } from './hotwatch.js';
import { waitFor } from './wait.js';

export const MODULE = 'example.com/faults';

/** main.go: imports each package in `pkgs` (directories under the root) and prints its Version. */
export function mainGo(version: string, pkgs: string[] = ['src']): string {
  const parts = pkgs.map((p) => `" ${path.basename(p)}=" + ${alias(p)}.Version`).join(' + ');
  return `package main

import (
\t"fmt"
\t"net/http"
\t"os"
${pkgs.map((p) => `\t${alias(p)} "${MODULE}/${p}"`).join('\n')}
)

const version = "${version}"

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "main="+version${parts ? ` + ${parts}` : ''}) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
}

const alias = (p: string) => `pkg_${p.replace(/[^A-Za-z0-9]/g, '_')}`;

/** A package file declaring `Version` (the package is named after its directory). */
export function pkgGo(dir: string, version: string): string {
  return `package ${path.basename(dir).replace(/[^A-Za-z0-9]/g, '_')}\n\nconst Version = "${version}"\n`;
}

/** The answer of the app built from main `m` and packages `pkgs` (name → version), in import order. */
export function answer(m: string, pkgs: Record<string, string>): string {
  return `main=${m}${Object.entries(pkgs)
    .map(([p, v]) => ` ${path.basename(p)}=${v}`)
    .join('')}`;
}

export interface FaultApp {
  /** Temp parent (holds hw.yaml, `mod/` and anything a case puts outside the root). */
  parent: string;
  /** The module root hotwatch watches. */
  root: string;
  config: string;
  port: number;
  /** Every process started for this case carries FAULTS_MARKER=<marker> (the cleanup kills them all). */
  marker: string;
  env: Record<string, string>;
  /** Writes a file under the root (creating directories). */
  write: (rel: string, text: string) => void;
  /** Writes the module into `dir` (default: the root): go.mod, main.go and src/version.go. */
  writeModule: (dir: string, main: string, src: string) => void;
  /** Waits until GET / answers exactly `expected`; a timeout names the last answer and the log tail. */
  serves: (expected: string, description: string, timeoutMs?: number) => Promise<void>;
  /** Set by the start helper: the log tail for failure messages. */
  logTail: () => string;
  cleanup: () => void;
}

export interface FaultAppOptions {
  /** Extra YAML appended to the config (top-level keys). */
  yaml?: string;
  /** The watchdog block (default: interval 500ms so detection is quick). */
  watchdog?: string;
}

export async function makeFaultApp(opts: FaultAppOptions = {}): Promise<FaultApp> {
  const tmp = makeTmpDir('hotwatch-faults-');
  const parent = tmp.dir;
  const root = path.join(parent, 'mod');
  const config = path.join(parent, 'hw.yaml');
  const port = await freePort();
  const marker = crypto.randomUUID();
  fs.writeFileSync(
    config,
    `${['root: mod', 'run:\n  gracePeriod: 1s', opts.watchdog ?? 'watchdog:\n  interval: 500ms', opts.yaml ?? ''].join('\n')}\n`,
  );
  const write = (rel: string, text: string) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  };
  const writeModule = (dir: string, main: string, src: string) => {
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'go.mod'), `module ${MODULE}\n\ngo 1.22\n`);
    fs.writeFileSync(path.join(dir, 'main.go'), mainGo(main));
    fs.writeFileSync(path.join(dir, 'src/version.go'), pkgGo('src', src));
  };
  writeModule(root, 'm1', 's1');
  let last: string | undefined;
  const app: FaultApp = {
    parent,
    root,
    config,
    port,
    marker,
    env: { PORT: String(port), FAULTS_MARKER: marker },
    write,
    writeModule,
    serves: async (expected, description, timeoutMs = 45_000) => {
      try {
        await waitFor(
          async () => {
            last = await httpGet(port);
            return last === expected;
          },
          { description: `${description}: GET / answers "${expected}"`, timeoutMs, intervalMs: 100 },
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; last answer: ${JSON.stringify(last)}\n--- hotwatch log (tail) ---\n${app.logTail()}`);
      }
    },
    logTail: () => '(hotwatch not started)',
    cleanup: tmp.cleanup,
  };
  return app;
}
