/** Turns the results object into the printed report: one table per scenario, goals and ratio rows. */
import { fmt, renderTable, verdict } from './table.mjs';
import { ratio } from './stats.mjs';

const HEADER = ['figure', 'median', 'goal', 'verdict'];

function latencyRows(l) {
  const rows = [];
  const b = l.baseline;
  rows.push(`1. Edit → serving, median of ${l.rounds} edits (each build is real: the version const changes)`);
  rows.push(['baseline: write → go build → stop old → start → first answer', fmt.ms(b.totalMs.median), '', '']);
  rows.push(['  of which go build', fmt.ms(b.buildMs.median), '', '']);
  rows.push(['  of which stop old app / start → first answer', `${fmt.ms(b.stopMs?.median)} / ${fmt.ms(b.startToServeMs.median)}`, '', '']);
  const hw = l.subjects.hotwatch;
  if (hw) {
    rows.push(['hotwatch: write → first new answer', fmt.ms(hw.latencyMs.median), '', '']);
    // The difference of medians carries the build's round-to-round noise (±100 ms or more on a shared
    // machine); the verdict goes on the edit-by-edit figure below, which leaves the build out.
    rows.push(['hotwatch − baseline (difference of medians; noisy)', fmt.signedMs(hw.overheadMs), '< 30 ms', '(below)']);
    rows.push(['hotwatch / baseline', fmt.x(ratio(hw.latencyMs.median, b.totalMs.median)), '', '']);
    if (Number.isFinite(hw.nonBuildOverheadMs)) {
      rows.push([
        'hotwatch − baseline, build time excluded (edit by edit)',
        fmt.signedMs(hw.nonBuildOverheadMs),
        '< 30 ms',
        verdict(hw.nonBuildOverheadMs < 30),
      ]);
      rows.push(['  time outside go build: hotwatch / baseline', `${fmt.ms(hw.nonBuildMs)} / ${fmt.ms(b.nonBuildMs)}`, '', '']);
    }
    if (Number.isFinite(hw.pairedTotalDiffMs)) {
      rows.push(['hotwatch − baseline, round by round (median of pairs)', fmt.signedMs(hw.pairedTotalDiffMs), '', '']);
      rows.push(["  of which hotwatch's go build − the bare one", fmt.signedMs(hw.pairedBuildDiffMs), '', '']);
    }
    if (hw.breakdownMs) {
      const k = hw.breakdownMs;
      rows.push(['  hotwatch: write → build.start (watch + debounce)', fmt.ms(k.detect), '', '']);
      rows.push(['  hotwatch: buildMs / stopMs / startMs', `${fmt.ms(k.build)} / ${fmt.ms(k.stop)} / ${fmt.ms(k.start)}`, '', '']);
      rows.push(['  hotwatch: build.done → first new answer', fmt.ms(k.doneToServe), '', '']);
      if (hw.extraBuilds) rows.push(['  edits that cost more than one build', String(hw.extraBuilds), '0', verdict(false)]);
    }
    if (hw.errors.length) rows.push(['  hotwatch failures', String(hw.errors.length), '0', verdict(false)]);
  }
  for (const [name, t] of Object.entries(l.subjects)) {
    if (name === 'hotwatch') continue;
    rows.push([
      `${name} ${t.version}: write → first new answer`,
      fmt.ms(t.latencyMs.median),
      '',
      t.errors.length ? `${t.errors.length} failed` : '',
    ]);
    rows.push([`  ${name} − baseline`, fmt.signedMs(t.overheadMs), '', '']);
    if (hw) {
      rows.push([`  ratio ${name} / hotwatch (latency)`, fmt.x(ratio(t.latencyMs.median, hw.latencyMs.median)), '', '']);
      rows.push([`  ${name} − hotwatch`, fmt.signedMs(t.latencyMs.median - hw.latencyMs.median), '', '']);
    }
  }
  return rows;
}

function treeRows(t) {
  const rows = [];
  const dirs = t.tree.dirs;
  rows.push(`2. Big tree: ${fmt.n(dirs)} directories (with the root), ${fmt.n(t.tree.files)} files`);
  const hw = t.subjects.hotwatch;
  if (hw) {
    const range = hw.readyMsRange?.n > 1 ? ` (${fmt.ms(hw.readyMsRange.min)}–${fmt.ms(hw.readyMsRange.max)})` : '';
    rows.push([
      `hotwatch (${hw.backend} backend): watch.ready readyMs`,
      `${fmt.ms(hw.readyMs)}${range}`,
      '< 1000 ms',
      verdict(hw.readyMs < 1000),
    ]);
    rows.push(['hotwatch: spawn → watch.ready (wall)', fmt.ms(hw.wallReadyMs), '', '']);
    // The watchdog watches one directory of its own (.hotwatch/watchdog, the sentinel directory).
    rows.push([
      'hotwatch: inotify watches (/proc fdinfo)',
      fmt.n(hw.watches),
      `= ${fmt.n(dirs)} + 1 sentinel dir`,
      verdict(hw.watches === dirs || hw.watches === dirs + 1),
    ]);
    rows.push(['hotwatch: watches it reports in watch.ready', fmt.n(hw.reportedWatches), `= ${fmt.n(dirs)}`, '']);
    rows.push(['hotwatch: VmRSS at ready', fmt.mb(hw.rssMb), '< 100 MB', verdict(hw.rssMb < 100)]);
    rows.push(['hotwatch: VmRSS 2 s after an edit / peak (VmHWM)', `${fmt.mb(hw.settledRssMb)} / ${fmt.mb(hw.peakRssMb)}`, '', '']);
    if (hw.idleCpuPct !== undefined)
      rows.push([
        'hotwatch: idle CPU over 10 s / wake-ups per second',
        `${hw.idleCpuPct.toFixed(3)}% / ${hw.wakeupsPerS.toFixed(1)}`,
        '',
        '',
      ]);
    rows.push(['hotwatch: write → first new answer on this tree', fmt.ms(hw.editToServeMs), '', '']);
  } else {
    rows.push(['hotwatch', 'not measured', '', 'FAIL']);
  }
  // Libraries report ready from inside their process (compare with readyMs); tools from spawn (compare
  // with hotwatch's wall time).
  for (const [name, r] of Object.entries(t.libraries)) {
    if (!r) {
      rows.push([name, 'failed (see errors)', '', '']);
      continue;
    }
    rows.push([`${name}: ready / watches / VmRSS`, `${fmt.ms(r.readyMs)} / ${fmt.n(r.watches)} / ${fmt.mb(r.rssMb)}`, '', '']);
    if (hw)
      rows.push([
        `  ratio ${name} / hotwatch (ready / watches / RSS)`,
        `${fmt.x(ratio(r.readyMs, hw.readyMs))} / ${fmt.x(ratio(r.watches, hw.watches))} / ${fmt.x(ratio(r.rssMb, hw.rssMb))}`,
        '',
        '',
      ]);
  }
  for (const [name, r] of Object.entries(t.subjects).filter(([n]) => n !== 'hotwatch')) {
    if (!r) {
      rows.push([name, 'failed (see errors)', '', '']);
      continue;
    }
    rows.push([`${name}: spawn → ready / watches / VmRSS`, `${fmt.ms(r.wallReadyMs)} / ${fmt.n(r.watches)} / ${fmt.mb(r.rssMb)}`, '', '']);
    rows.push([`  (${name} ready = ${r.readyBy})`, '', '', '']);
    if (hw)
      rows.push([
        `  ratio ${name} / hotwatch (ready / watches / RSS)`,
        `${fmt.x(ratio(r.wallReadyMs, hw.wallReadyMs))} / ${fmt.x(ratio(r.watches, hw.watches))} / ${fmt.x(ratio(r.rssMb, hw.rssMb))}`,
        '',
        '',
      ]);
  }
  return rows;
}

function doctorRows(d) {
  return [
    `3. hotwatch doctor --json on the big tree (median of ${d.wallMs.n})`,
    [
      'doctor wall time (fresh node process)',
      `${fmt.ms(d.wallMs.median)} (${fmt.ms(d.wallMs.min)}–${fmt.ms(d.wallMs.max)})`,
      '< 1000 ms',
      verdict(Number.isFinite(d.wallMs.median) ? d.wallMs.median < 1000 : null),
    ],
  ];
}

function burstTable(b) {
  const windows = Object.keys(Object.values(b.kinds)[0]?.batches ?? {});
  const header = [
    'burst (raw per-dir fs.watch)',
    'runs',
    'relevant events',
    'spread med/max',
    'largest gap med/worst',
    ...windows.map((w) => `builds@${w}ms`),
    '@50ms, no maxWait',
  ];
  const rows = Object.entries(b.kinds).map(([kind, k]) => [
    kind,
    String(k.runs),
    `${fmt.n(k.events)} (${fmt.n(k.files)} files)`,
    `${fmt.ms(k.spreadMs)} / ${fmt.ms(k.maxSpreadMs)}`,
    `${fmt.ms(k.maxGapMs)} / ${fmt.ms(k.worstGapMs)}`,
    ...windows.map((w) => `${k.batches[w].median} (worst ${k.batches[w].worst})`),
    `worst ${k.quietOnly50Worst}`,
  ]);
  return renderTable(header, rows);
}

/**
 * Whether a 50 ms quiet window bridges every recorded gap (quiet-only simulation), and which bursts the
 * 1 s maxWait cuts in two because they last longer than that.
 */
export function burstVerdict(b) {
  const kinds = Object.entries(b.kinds);
  const worstGapMs = Math.max(...kinds.map(([, k]) => k.worstGapMs));
  const gapSplits = kinds.filter(([, k]) => k.quietOnly50Worst > 1).map(([kind]) => kind);
  const maxWaitSplits = kinds
    .filter(([, k]) => k.batches[50]?.worst > 1 && k.quietOnly50Worst === 1)
    .map(([kind, k]) => `${kind} (lasts up to ${fmt.ms(k.maxSpreadMs)})`);
  return { worstGapMs, gapSplits, maxWaitSplits, ok: gapSplits.length === 0 };
}

function proxyRows(x) {
  const l = x.latency;
  const r = x.restarts;
  const modes = Object.entries(r.modes)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return [
    `5. Proxy (${x.child}): latency added on keep-alive connections (${fmt.n(l.requests)} request pairs), and ${r.restarts} app restarts under ${r.clients} clients (${modes})`,
    ['direct to the app: p50 / p99', `${fmt.ms(l.direct.p50)} / ${fmt.ms(l.direct.p99)}`, '', ''],
    ['through the proxy: p50 / p99', `${fmt.ms(l.proxied.p50)} / ${fmt.ms(l.proxied.p99)}`, '', ''],
    [
      'added by the proxy, p50 (median of pairs) / p99',
      `${fmt.signedMs(l.addedP50)} (${fmt.signedMs(l.pairedAddedMedian)}) / ${fmt.signedMs(l.addedP99)}`,
      '< 1 ms at p50',
      verdict(l.addedP50 < 1),
    ],
    [`requests served across ${r.restarts} restarts (${r.seconds.toFixed(1)} s)`, fmt.n(r.served), '', ''],
    ['  failed', fmt.n(r.failures), '0', verdict(r.failures === 0)],
    ['  p50 / p99 under restarts', `${fmt.ms(r.p50)} / ${fmt.ms(r.p99)}`, '', ''],
    ['  longest wait across a restart', fmt.ms(r.longestMs), '', ''],
  ];
}

export function renderReport(results) {
  const m = results.meta;
  const out = [];
  out.push(`hotwatch benchmark — ${m.mode} run, ${m.date}`);
  out.push(
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memGb} GB, Linux ${m.kernel}; load average at start ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}` +
      (m.loadavgAtEnd ? `, at end ${m.loadavgAtEnd.map((x) => x.toFixed(2)).join(' ')}` : ''),
  );
  out.push(
    `versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  out.push('hotwatch: zero config (defaults: loneQuiet 15ms, quiet 50ms, maxWait 1s, native backend), --log-format json');
  for (const [name, how] of Object.entries(m.howRun ?? {})) out.push(`${name}: ${how}`);
  if (m.missingTools.length) out.push(`not installed (not compared): ${m.missingTools.join(', ')} — see bench/README.md`);
  out.push('');
  const rows = [];
  if (results.latency) rows.push(...latencyRows(results.latency));
  if (results.bigTree) rows.push(...treeRows(results.bigTree));
  if (results.doctor) rows.push(...doctorRows(results.doctor));
  if (results.proxy) rows.push(...proxyRows(results.proxy));
  out.push(renderTable(HEADER, rows));
  if (results.bursts) {
    out.push('');
    out.push(`4. Debounce: bursts as a raw per-directory fs.watch sees them; builds a quiet window would start (maxWait 1 s)`);
    out.push(burstTable(results.bursts));
    const v = burstVerdict(results.bursts);
    out.push(
      v.ok
        ? `quiet window: 50 ms bridges every recorded gap (worst gap ${fmt.ms(v.worstGapMs)}, ${fmt.x(50 / v.worstGapMs)} margin).`
        : `quiet window: 50 ms is too short for a gap recorded in: ${v.gapSplits.join('; ')} (worst gap ${fmt.ms(v.worstGapMs)}).`,
    );
    if (v.maxWaitSplits.length) {
      out.push(`maxWait: 1 s cuts these bursts in two builds, because they last longer than that: ${v.maxWaitSplits.join('; ')}.`);
    }
  }
  const errors = [
    ...(results.latency ? Object.entries(results.latency.subjects).flatMap(([n, s]) => s.errors.map((e) => `${n}: ${e}`)) : []),
    ...(results.bigTree?.errors ?? []),
    ...(results.doctor?.errors ?? []),
    ...(results.bursts?.errors ?? []),
    ...(results.proxy?.restarts.firstFailures ?? []).map((f) => `proxy: ${f}`),
    ...(results.errors ?? []),
  ];
  if (errors.length) {
    out.push('');
    out.push('errors and notes:');
    for (const e of errors) out.push(`  - ${e.split('\n')[0]}`);
  }
  return out.join('\n');
}
