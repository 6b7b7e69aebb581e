/**
 * When a hotwatch's first build started (performance.now() of this process): the spawn of a build started
 * early (src/startup/early-build.ts), said as `buildStartedAt` (epoch ms) on the `startup.plan` line,
 * since that build starts before hotwatch can log anything; else when the `build.start` line arrived
 * (a build without it, or an older hotwatch). Undefined before either.
 */
export function firstBuildStart(h) {
  const at = h.events('startup.plan')[0]?.json?.buildStartedAt;
  if (typeof at === 'number') return at - performance.timeOrigin;
  return h.events('build.start')[0]?.t;
}
