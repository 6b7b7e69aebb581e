/**
 * Several apps' builds as ONE `go build -o DIR/ pkgA pkgB …`. An edit of a package the apps share
 * rebuilds all of them; N separate `go build` processes each start go, load and hash the same package
 * graph and check the same cache, where one process does that once and links the N binaries in
 * parallel. Measured on 2 cores (10 main packages over one shared package, an edit of it): 10 parallel
 * builds 2.5 s, one combined build 1.8 s. go writes the binary of every package that compiles even when
 * another fails, and heads each failing package's errors with `# import/path`, so each app still gets
 * its own outcome: a binary written means built; none means failed, with the output that concerns it.
 *
 * Builds that ask for the same thing of go (root, flags, env, timeout; no build.cmd) and arrive within a
 * few ms of each other (one batch dispatched to several apps) are gathered; a build alone runs as ever.
 * Binaries go to a fresh directory of ours beside the first app's output, then each is renamed onto
 * its app's output (a rename replaces a planted symlink, never writes through it). Every go process,
 * combined or not, takes a turn among the bounded slots. An app whose build is called off (a newer
 * change) leaves at once as canceled; the go process is stopped only when every app in it left.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BuildSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { runBuild, type BuildOptions, type BuildResult } from '../supervisor/build.js';
import { checkBuiltOutput, prepareOutput } from '../supervisor/output-path.js';
import type { BuildSlots } from './build-slots.js';
import { combinedName, memberResult } from './combined-output.js';

/** How long the first build of a gathering waits for the others of its batch (they come in the same tick). */
export const GATHER_MS = 10;

interface Member {
  settings: BuildSettings;
  opts: BuildOptions;
  /** The binary go names for this package in the shared directory. */
  name: string;
  resolve: (r: BuildResult) => void;
  reject: (e: unknown) => void;
  settled: boolean;
}

export class CombinedBuilds {
  private readonly gathering = new Map<string, Member[]>();

  constructor(
    private readonly slots: BuildSlots,
    private readonly log: Logger,
    private readonly gatherMs = GATHER_MS,
  ) {}

  /** A BuildRunner (SupervisorOptions.buildRunner). */
  readonly run = (settings: BuildSettings, opts: BuildOptions): Promise<BuildResult> => {
    const name = opts.command || opts.packages || opts.env ? undefined : combinedName(settings);
    if (name === undefined) return this.alone(settings, opts);
    return new Promise((resolve, reject) => {
      const key = JSON.stringify([settings.root, settings.flags, settings.env, settings.timeoutMs]);
      const member: Member = { settings, opts, name, resolve, reject, settled: false };
      const waiting = this.gathering.get(key);
      if (waiting) return void waiting.push(member);
      this.gathering.set(key, [member]);
      setTimeout(() => {
        const members = this.gathering.get(key) ?? [];
        this.gathering.delete(key);
        for (const group of distinctNames(members)) void this.launch(group);
      }, this.gatherMs);
    });
  };

  /** One build as ever, in its turn. */
  private async alone(settings: BuildSettings, opts: BuildOptions): Promise<BuildResult> {
    const started = performance.now();
    const release = await this.slots.acquire(opts.signal).catch(() => undefined);
    if (!release) return canceledResult(settings, started);
    try {
      return await runBuild(settings, opts);
    } finally {
      release();
    }
  }

  private async launch(members: Member[]): Promise<void> {
    const [first] = members;
    if (!first) return;
    if (members.length === 1)
      return this.alone(first.settings, first.opts).then(
        (r) => settle(first, r),
        (e: unknown) => fail(first, e),
      );
    const started = performance.now();
    const ctrl = new AbortController();
    // An app whose build is called off leaves now; the go process stops when no app is left in it.
    for (const m of members) {
      m.opts.signal.addEventListener(
        'abort',
        () => {
          settle(m, canceledResult(m.settings, started));
          if (live(members).length === 0) ctrl.abort(m.opts.signal.reason);
        },
        { once: true },
      );
      if (m.opts.signal.aborted) settle(m, canceledResult(m.settings, started));
    }
    if (live(members).length === 0) return;
    try {
      await this.combined(members, ctrl.signal);
    } catch (e) {
      for (const m of live(members)) fail(m, e);
    }
  }

  /** Runs go for the members still waiting; each gets its own result. */
  private async combined(members: Member[], signal: AbortSignal): Promise<void> {
    const release = await this.slots.acquire(signal).catch(() => undefined);
    if (!release) return;
    let dir: string | undefined;
    try {
      for (const m of live(members)) attempt(m, () => prepareOutput(m.settings.root, m.settings.output, m.opts.log));
      const first = live(members)[0];
      if (!first) return;
      fs.mkdirSync(path.dirname(first.settings.output), { recursive: true });
      dir = fs.mkdtempSync(path.join(path.dirname(first.settings.output), '.combined-')); // 0700, ours
      const list = live(members).map((m) => m.settings.package);
      const onLine = (line: string): void => {
        for (const m of live(members)) m.opts.onLine?.(line);
      };
      this.log.info({ event: 'build.combined', packages: list }, `one go build for ${list.length} apps: ${list.join(' ')}`);
      const result = await runBuild(first.settings, { signal, log: this.log, onLine, packages: { dir, list } });
      const others = (m: Member): string[] => members.filter((o) => o !== m).map((o) => o.settings.package);
      for (const m of live(members)) {
        const r = attempt(m, () =>
          memberResult({ package: m.settings.package, output: m.settings.output, name: m.name }, dir!, result, others(m)),
        );
        if (r === 'alone')
          void this.alone(m.settings, m.opts).then(
            (own) => settle(m, own),
            (e: unknown) => fail(m, e),
          );
        else if (r !== undefined) {
          if (r.ok) attempt(m, () => checkBuiltOutput(m.settings.output));
          settle(m, r); // a no-op when the check failed it
        }
      }
    } finally {
      release();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** `f`'s value; when it throws, the member fails with that error (the others go on) and this is undefined. */
function attempt<T>(m: Member, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    fail(m, e);
    return undefined;
  }
}

const live = (members: Member[]): Member[] => members.filter((m) => !m.settled);

function settle(m: Member, r: BuildResult): void {
  if (m.settled) return;
  m.settled = true;
  m.resolve(r);
}

/** A member whose build threw (go missing, an unsafe output) gets that error, as runBuild would throw it. */
function fail(m: Member, e: unknown): void {
  if (m.settled) return;
  m.settled = true;
  m.reject(e);
}

function canceledResult(s: BuildSettings, started: number): BuildResult {
  const durationMs = Math.round(performance.now() - started);
  return { ok: false, canceled: true, timedOut: false, exitCode: undefined, durationMs, output: '', command: `go build ${s.package}` };
}

/** go refuses two packages with one binary name in one -o directory: such builds go in separate groups. */
function distinctNames(members: Member[]): Member[][] {
  const groups: Member[][] = [];
  for (const m of members) {
    const group = groups.find((g) => g.every((o) => o.name !== m.name));
    if (group) group.push(m);
    else groups.push([m]);
  }
  return groups;
}
