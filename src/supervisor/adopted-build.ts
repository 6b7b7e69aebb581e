/**
 * A build spawned before the supervisor existed (src/startup/early-build.ts: the first build, spawned as
 * soon as the config is valid), continued by runBuild as if it had spawned it: only when it is exactly the
 * build runBuild would spawn now (compared whole, environment included).
 */
import type { Logger } from '../log/logger.js';
import type { BuildProcess } from './build-process.js';
import type { EnvMarker } from './kill-tree.js';

/** What runBuild would spawn. */
export interface BuildSpawn {
  file: string;
  args: readonly string[];
  cwd: string;
  /** The environment without the build's marker (each build has its own). */
  env: NodeJS.ProcessEnv;
}

/** An adopted build, as runBuild continues it. */
export interface AdoptedBuild {
  sub: BuildProcess;
  marker: EnvMarker;
  /** Its whole environment, marker included. */
  env: NodeJS.ProcessEnv;
  /** performance.now() at its spawn. */
  startedAt: number;
  /** Cancels it as runBuild's own spawn is canceled (the signal to the leader, SIGKILL after the grace). */
  stop: (reason: unknown) => void;
}

/** Hands over a build already running, at most once; undefined (after stopping it) when it is not `want`. */
export interface BuildAdopter {
  adopt(want: BuildSpawn, onOutput: (text: string) => void, log: Logger): Promise<AdoptedBuild | undefined>;
}
