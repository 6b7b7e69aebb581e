/**
 * The reverse proxy (src/proxy/) as the supervisor drives it (AppProxy, supervisor-options.ts): the
 * supervisor does not import the proxy, the composition root joins them here. Which changed files need
 * no build behind the proxy (proxy.reloadOnly: a browser reload; proxy.restartOnly: a restart, unless
 * the binary embeds them) is proxy-changes.ts.
 */
import type { Settings } from './config/settings.js';
import type { Logger } from './log/logger.js';
import type { ProxyHandle } from './proxy/types.js';
import { ProxyChanges } from './proxy-changes.js';
import { EmbedIndex } from './proxy-embeds.js';
import type { AppProxy, ChangeKind } from './supervisor/supervisor-options.js';

const LOOPBACK = '127.0.0.1';

export interface RunningProxy {
  /** What the supervisor is given: the proxy, and what each changed file needs. */
  supervisor: { proxy: AppProxy; changeKind: (file: string) => ChangeKind };
  handle: ProxyHandle;
  /** Batches go through it to the supervisor: in order, the embedded files known before a change skips the build. */
  changes: ProxyChanges;
}

/** With proxy.enabled: listens on proxy.port and returns the supervisor's side of it; undefined otherwise. */
export async function startProxy(s: Settings, log: Logger, signal: AbortSignal): Promise<RunningProxy | undefined> {
  if (!s.proxy.enabled) return undefined;
  // Loaded here, not with the rest of `run`: a run without the proxy never needs node:http, zlib and the
  // proxy's own code (3 MB of RSS, measured; README, Benchmark, "Memory").
  const [{ createProxy }, { freePort, waitReady }] = await Promise.all([import('./proxy/proxy.js'), import('./proxy/app-port.js')]);
  const p = s.proxy;
  const handle = await createProxy({
    listen: { host: p.address, port: p.port },
    holdTimeoutMs: p.holdTimeoutMs,
    log,
    signal,
    csp: p.csp,
    liveReload: p.liveReload,
  });
  const fixed = p.appPort !== 0;
  const proveFirst = p.proveNewVersion && !fixed;
  sayPortReplaced(s, log);
  if (p.proveNewVersion && fixed) {
    const text = `proxy.appPort ${p.appPort} is fixed: each new version starts once the old one has stopped (requests wait meanwhile), not beside it`;
    log.info({ event: 'proxy.stop-then-start', appPort: p.appPort }, text);
  }
  const driver: AppProxy = {
    portEnv: p.appPortEnv,
    proveFirst,
    readyTimeoutMs: p.readyTimeoutMs,
    nextPort: () => (fixed ? Promise.resolve(p.appPort) : freePort(LOOPBACK)),
    waitReady: async (port, s) => {
      const res = await waitReady({ host: LOOPBACK, port, healthPath: p.healthPath, deadlineMs: p.readyTimeoutMs, signal: s });
      return res.ready ? { ready: true, afterMs: res.afterMs } : { ready: false, afterMs: res.afterMs, why: res.lastError };
    },
    ready: (u) => handle.ready(u),
    drained: (port, ms, scope, signal) => handle.drained(port, ms, scope, signal),
    restarting: (reason) => handle.restarting(reason),
    failed: (r) => handle.failed(r),
    reload: () => handle.reload(),
  };
  const changes = new ProxyChanges(s.root, p, embedIndex(s, log, signal), log);
  return { supervisor: { proxy: driver, changeKind: changes.kind }, handle, changes };
}

/**
 * What the binary embeds, asked of go as the build would see it (its directory, package, env, -tags; the
 * one app's with apps:).
 * With build.cmd, which package it builds is unknown: every package of the module counts (a file any of
 * them embeds builds: safe, at the price of a longer `go list` in a large module).
 */
function embedIndex(s: Settings, log: Logger, signal: AbortSignal): EmbedIndex {
  // `hotwatch run api --proxy-port`: the proxy fronts that one app, whose package is not the top-level one.
  const b = s.apps?.length === 1 ? s.apps[0]!.build : s.build;
  const pkg = b.cmd !== undefined ? './...' : b.package;
  const query = { cwd: b.root, pkg, root: s.root, env: { ...process.env, ...b.env }, flags: b.flags };
  return new EmbedIndex(query, log.child({ component: 'proxy' }), signal);
}

/**
 * run.env (or an app's env) giving the app's port variable a value: behind the proxy, the app gets the
 * port of each start in it instead (proxy.appPortEnv wins, or the proxy could not find the app). It was
 * replaced without a word, and a sibling calling the app on that port broke.
 */
function sayPortReplaced(s: Settings, log: Logger): void {
  const name = s.proxy.appPortEnv;
  const runs =
    s.apps?.length === 1 ? [{ who: `apps.${s.apps[0]!.name}.env`, env: s.apps[0]!.run.env }] : [{ who: 'run.env', env: s.run.env }];
  for (const { who, env } of runs) {
    const value = env[name];
    if (value === undefined || (s.proxy.appPort !== 0 && String(s.proxy.appPort) === value)) continue;
    const keep = s.proxy.appPort === 0 ? `; to keep ${value}, set proxy.appPort: ${value} (or --app-port ${value})` : '';
    log.warn(
      { event: 'proxy.port-env-replaced', variable: name, value, appPort: s.proxy.appPort },
      `${who} ${name}=${value} is replaced behind the proxy: the app gets ${s.proxy.appPort === 0 ? 'a fresh port at each start' : `proxy.appPort ${s.proxy.appPort}`} in ${name} (proxy.appPortEnv)${keep}`,
    );
  }
}
