/** `hotwatch status` for a person: a few aligned lines from a StatusSnapshot. Pure. */
import type { BuildFact } from './facts.js';
import type { StatusSnapshot } from './status.js';

/** "3m12s", "812 ms", "1h04m". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const clock = (at: number): string => new Date(at).toTimeString().slice(0, 8);

const lastBuild = (b: BuildFact, now: number): string =>
  b.clearedAt !== undefined
    ? `sources back to what the app runs ${duration(now - b.clearedAt)} ago: the failed build (${duration(now - b.finishedAt)} ago) no longer applies`
    : `last ${b.outcome} in ${duration(b.durationMs)}, ${duration(now - b.finishedAt)} ago`;

/** An app's own last build, when it failed and still applies: what that app serves is older than its files. */
const appBuild = (b: BuildFact | null | undefined, now: number): string =>
  b?.outcome === 'failed' && b.clearedAt === undefined
    ? `, last build FAILED ${duration(now - b.finishedAt)} ago: serving its previous version`
    : '';

function lines(s: StatusSnapshot, now: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  out.push(['hotwatch', `pid ${s.hotwatch.pid}, up ${duration(s.hotwatch.uptimeMs)}, ${s.hotwatch.root} (v${s.hotwatch.version})`]);
  out.push(['health', s.health.ok ? 'ok: serving, watch healthy' : (s.health.why ?? 'not ok')]);
  // With apps:, the summary lines are the least settled app's, named (each app's own state follows).
  const which = s.state.app !== undefined ? `${s.state.app}: ` : '';
  const many = (s.apps?.length ?? 0) > 1 ? `the least settled of ${s.apps!.length} apps` : 'the one app';
  const of = s.state.app !== undefined ? ` (app ${s.state.app}, ${many})` : '';
  out.push(['state', `${s.state.name} for ${duration(s.state.forMs)}${of}`]);
  for (const [i, a] of (s.apps ?? []).entries())
    out.push([
      i === 0 ? 'apps' : '',
      `${a.name}: ${a.state}${a.pid !== null ? ` (pid ${a.pid})` : ''} for ${duration(now - a.since)}${appBuild(a.lastBuild, now)}`,
    ]);
  // The counts are the run's, every app's together: said so next to one app's line.
  const all = (s.apps?.length ?? 0) > 1 ? ' (all apps)' : '';
  const restarts = `${s.restarts} restart${s.restarts === 1 ? '' : 's'}${all}`;
  if (s.app) {
    const where = s.app.listening.length ? ` on ${s.app.listening.join(', ')}` : '';
    const behind = s.hotwatch.proxy && where ? ' (behind the proxy)' : '';
    out.push([
      'app',
      `${which}pid ${s.app.pid}${s.app.serving ? ', serving' : ''}${where}${behind}, up ${duration(s.app.uptimeMs)}, ${restarts}`,
    ]);
    if (s.hotwatch.proxy) out.push(['proxy', `${s.hotwatch.proxy}: open this (pages reload on each new version)`]);
  } else {
    // The last exit of any app is this one's only when it names it (with apps:).
    const exit = s.lastExit && (s.state.app === undefined || s.lastExit.app === s.state.app) ? s.lastExit : undefined;
    out.push(['app', `${which}none${exit ? ` (last exit ${exit.how}, ${duration(now - exit.at)} ago)` : ''}, ${restarts}`]);
  }
  if (s.crashLoop) out.push(['', s.crashLoop.line]);
  const b = s.lastBuild;
  const counts = `${s.builds.ok} ok, ${s.builds.failed} failed, ${s.builds.canceled} canceled`;
  const running = s.builds.runningSince !== null ? `building for ${duration(now - s.builds.runningSince)}; ` : '';
  out.push(['build', `${running}${b ? `${lastBuild(b, now)} (${counts}${all})` : 'none finished yet'}`]);
  // A failure that no longer applies (the files went back): its errors are history, not news.
  if (b?.clearedAt === undefined) for (const e of b?.errors.slice(0, 5) ?? []) out.push(['', `  ${e}`]);
  const w = s.watch;
  const sizes = [w.dirs !== undefined ? `${w.dirs} dirs` : '', w.watches !== undefined ? `${w.watches} inotify watches` : '']
    .filter(Boolean)
    .join(', ');
  out.push(['watch', `${w.healthy ? 'healthy' : 'UNHEALTHY'}, ${w.backend} backend${sizes ? `, ${sizes}` : ''}`]);
  for (const sc of w.scopes)
    out.push(['', `${sc.kind} ${sc.path}: ${sc.state}${sc.cause ? ` (${sc.cause})` : ''} for ${duration(now - sc.since)}`]);
  for (const [i, e] of s.recentEvents.slice(-5).entries()) out.push([i === 0 ? 'events' : '', `${clock(e.at)} ${e.message}`]);
  return out;
}

export function renderStatus(s: StatusSnapshot, now = Date.now()): string {
  return lines(s, now)
    .map(([k, v]) => `${k.padEnd(9)}${v}`)
    .join('\n')
    .concat('\n');
}
