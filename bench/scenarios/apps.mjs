/**
 * Scenario 8: several apps from one hotwatch (issue 15). A module with N main packages (cmd/app0 …,
 * N = 10 by default), a shared package (internal/shared) and one package of each app's own; each app
 * answers "shared=S own=O" on its own port. Measured:
 *   - one hotwatch with `apps:` for all N: inotify instances and watches, RSS (the watcher's processes);
 *   - beside it, N hotwatch processes with one app each (the way one runs air: one per service, each
 *     watching the whole tree, rebuilding its app on any change), the same figures summed. hotwatch
 *     allows one instance per root, so each runs on its own copy of the tree (no apps:, build.package
 *     names its app), and each edit is written to every copy, back to back;
 *   - for each: the time from an edit of the shared package until every app serves it, and CPU per
 *     edit (the watchers' own, and their children's: go build and the apps' starts);
 *   - an edit in one app's own package: the time until it serves, and how many builds ran (one).
 *   - where air is installed (PATH or $HOTWATCH_BENCH_TOOLS) and --no-tools is not given: N air processes
 *     on ONE tree, one .air.toml each (build.cmd builds its app into its own tmp dir, build.delay 0 —
 *     air's default of 1000 ms would only measure that wait —, include_ext go, tmp/ and .hotwatch/
 *     excluded), as air's users run one air per service.
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeTmpDir, removeTmpDir } from '../lib/cleanup.mjs';
import { freePort, httpGet } from '../lib/goapp.mjs';
import { startProcess } from '../lib/process.mjs';
import { watcherFootprint, descendants } from '../lib/procfs.mjs';
import { median, summary } from '../lib/stats.mjs';
import { findExecutable, HOTWATCH_BIN } from '../lib/subjects.mjs';
import { fmt, renderTable } from '../lib/table.mjs';
import { sleep, waitFor } from '../lib/wait.mjs';

const shared = (v) => `package shared\n\nconst Version = "${v}"\n`;
const own = (v) => `package own\n\nconst Version = "${v}"\n`;
const main = (i) => `package main

import (
\t"fmt"
\t"net/http"
\t"os"

\t"example.com/apps/cmd/app${i}/own"
\t"example.com/apps/internal/shared"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "shared=%s own=%s", shared.Version, own.Version) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

function writeModule(dir, ports) {
  const w = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  w('go.mod', 'module example.com/apps\n\ngo 1.22\n');
  w('internal/shared/shared.go', shared('s0'));
  ports.forEach((_port, i) => {
    w(`cmd/app${i}/main.go`, main(i));
    w(`cmd/app${i}/own/own.go`, own('o0'));
  });
  const apps = ports.map((port, i) => `  app${i}: { package: ./cmd/app${i}, env: { PORT: "${port}" } }\n`).join('');
  w('watcher.config.yaml', `apps:\n${apps}`);
}

/** utime+stime of the watcher's processes, and cutime+cstime (children waited for: go build, apps) of the main one, in ms. */
function cpuMs(pids) {
  const tick = 10; // USER_HZ is 100 on Linux
  let self = 0;
  let children = 0;
  for (const p of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      self += (Number(f[11]) + Number(f[12])) * tick;
      children += (Number(f[13]) + Number(f[14])) * tick;
    } catch {
      // exited
    }
  }
  return { self, children };
}

async function allServe(ports, want, timeoutMs = 180_000) {
  const pending = new Set(ports);
  const t0 = performance.now();
  await waitFor(
    async () => {
      await Promise.all(
        [...pending].map(async (p) => {
          if ((await httpGet(p, 500))?.includes(want)) pending.delete(p);
        }),
      );
      return pending.size === 0;
    },
    { timeoutMs, intervalMs: 5, description: `every app serves ${want} (${pending.size} left)` },
  );
  return performance.now() - t0;
}

/** air's config for app `i`: its own build command, binary and tmp dir, on the shared tree. */
const airToml = (i) => `root = "."
tmp_dir = "tmp/app${i}"
[build]
cmd = "go build -o ./tmp/app${i}/app ./cmd/app${i}"
bin = "./tmp/app${i}/app"
delay = 0
include_ext = ["go"]
exclude_dir = ["tmp", ".hotwatch"]
[misc]
clean_on_exit = false
`;

/** The watcher processes of one setup: kind 'apps' (one hotwatch, apps:), 'single' (N hotwatch, a tree copy each), 'air' (N air, one tree). */
function startWatchers(kind, dirs, ports, air) {
  const env = { ...process.env, NO_COLOR: '1' };
  if (kind === 'air')
    return ports.map((port, i) => {
      fs.writeFileSync(path.join(dirs[0], `.air-app${i}.toml`), airToml(i));
      return startProcess(air, ['-c', `.air-app${i}.toml`], { cwd: dirs[0], env: { ...env, PORT: String(port) }, name: `air app${i}` });
    });
  return dirs.map((d, i) =>
    startProcess(process.execPath, [HOTWATCH_BIN, 'run', '--log-format', 'json'], { cwd: d, env, name: `hotwatch ${i}` }),
  );
}

/** Builds started since `from` (line indexes): hotwatch's build.start events, air's "building..." lines. */
function buildsSince(procs, from, kind) {
  if (kind !== 'air') return procs.reduce((a, h, i) => a + h.events('build.start', from[i]).length, 0);
  return procs.reduce((a, h, i) => a + h.lines.slice(from[i]).filter((l) => l.text.includes('building...')).length, 0);
}

/** One setup (see startWatchers) through `rounds` shared edits and own edits. */
async function measure({ name, n, rounds, kind, air, say }) {
  const single = kind === 'single';
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const dirs = (single ? ports : [0]).map(() => makeTmpDir(`apps-${name}`));
  for (const d of dirs) writeModule(d, ports);
  // One app per watcher, as one air per service: no apps:, build.package names it; every change rebuilds it.
  if (single)
    dirs.forEach((d, i) =>
      fs.writeFileSync(path.join(d, 'watcher.config.yaml'), `build: { package: ./cmd/app${i} }\nrun: { env: { PORT: "${ports[i]}" } }\n`),
    );
  /** Writes `rel` in every copy of the tree. */
  const edit = (rel, text) => {
    for (const d of dirs) fs.writeFileSync(path.join(d, rel), text);
  };
  const procs = startWatchers(kind, dirs, ports, air);
  try {
    const startMs = await allServe(ports, 'shared=s0');
    await sleep(1500); // the start-up's own work (content index, audits) settles
    const foot = procs.map((h) => watcherFootprint(h.pid));
    const sum = (k) => foot.reduce((a, f) => a + (f[k] ?? 0), 0);
    const pids = () => procs.flatMap((h) => [h.pid, ...descendants(h.pid).filter((p) => foot.some((f) => f.pids.includes(p)))]);
    const sharedMs = [];
    const cpu = [];
    for (let r = 1; r <= rounds; r++) {
      const before = cpuMs(pids());
      const t0 = performance.now();
      edit('internal/shared/shared.go', shared(`s${r}`));
      await allServe(ports, `shared=s${r}`);
      sharedMs.push(performance.now() - t0);
      await sleep(500);
      const after = cpuMs(pids());
      cpu.push({ self: after.self - before.self, children: after.children - before.children });
    }
    const ownMs = [];
    const builds = [];
    for (let r = 1; r <= rounds; r++) {
      const k = r % n;
      const from = procs.map((h) => h.lines.length);
      const t0 = performance.now();
      edit(`cmd/app${k}/own/own.go`, own(`o${r}`));
      await allServe([ports[k]], `own=o${r}`);
      ownMs.push(performance.now() - t0);
      await sleep(500);
      builds.push(buildsSince(procs, from, kind));
    }
    const res = {
      name,
      processes: procs.length,
      instances: sum('instances'),
      watches: sum('watches'),
      rssMb: sum('rssMb'),
      startMs,
      sharedEditMs: summary(sharedMs),
      ownEditMs: summary(ownMs),
      buildsPerOwnEdit: median(builds),
      cpuSelfMsPerEdit: median(cpu.map((c) => c.self)),
      cpuChildrenMsPerEdit: median(cpu.map((c) => c.children)),
    };
    say(
      `  ${name}: ${res.instances} instances, ${res.watches} watches, ${fmt.mb(res.rssMb)}; shared edit ${fmt.ms(res.sharedEditMs.median)}, own edit ${fmt.ms(res.ownEditMs.median)} (${res.buildsPerOwnEdit} builds)`,
    );
    return res;
  } finally {
    await Promise.all(procs.map((h) => h.stop()));
    for (const d of dirs) removeTmpDir(d);
  }
}

export async function appsScenario({ n = 10, rounds = 5, tools = true, say }) {
  const one = await measure({ name: `1 hotwatch, apps: ×${n}`, n, rounds, kind: 'apps', say });
  const many = await measure({ name: `${n} hotwatch, 1 app each`, n, rounds, kind: 'single', say });
  const air = tools ? findExecutable('air') : undefined;
  const airs = air ? await measure({ name: `${n} air, 1 app each`, n, rounds, kind: 'air', air, say }) : undefined;
  if (tools && !air) say('  air: not installed (PATH or $HOTWATCH_BENCH_TOOLS): not measured');
  const rows = [one, many, ...(airs ? [airs] : [])].map((r) => [
    r.name,
    fmt.n(r.processes),
    fmt.n(r.instances),
    fmt.n(r.watches),
    fmt.mb(r.rssMb),
    fmt.ms(r.sharedEditMs.median),
    fmt.ms(r.ownEditMs.median),
    fmt.n(r.buildsPerOwnEdit),
    fmt.ms(r.cpuSelfMsPerEdit),
    fmt.ms(r.cpuChildrenMsPerEdit),
  ]);
  const report = [
    `8. Several apps (${n} main packages of one module, a shared package, ${rounds} edits each; medians)`,
    renderTable(
      [
        'setup',
        'watcher procs',
        'inotify inst.',
        'watches',
        'RSS',
        'shared edit → all serve',
        'own edit → serves',
        'builds / own edit',
        'CPU/edit watchers',
        'CPU/edit children',
      ],
      rows,
    ),
  ].join('\n');
  return { one, many, airs, report };
}
