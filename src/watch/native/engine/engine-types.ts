/** What the native engine is given: where its output goes, and what it watches besides the tree. */
import type { HotwatchError } from '../../../errors.js';
import type { MountEntry } from '../../../os/mounts.js';
import type { ResolverSink } from './event-resolver.js';

/** Where the engine's output goes (worker.ts posts it to the host). */
export interface EngineSink extends ResolverSink {
  /** Watching cannot go on (limit reached): the engine has stopped. */
  fatal(e: HotwatchError): void;
  /** A sentinel file event (absolute path). */
  sentinel(p: string): void;
  /** The inotify helper died: nothing is watched any more (the host reports the loss). */
  crashed(why: string): void;
}

export interface EngineOptions {
  descendPollMounts?: boolean;
  mounts?: MountEntry[] | undefined;
  /** Subtrees polled beside this watcher (the inotify budget does not fit them): never armed. */
  pollDirs?: string[];
  /** Sentinel directories to watch apart from the tree. */
  sentinelDirs?: string[];
  /** Test-only: raw events for entries of this name are dropped (a lost create event). */
  dropEventsNamed?: string | undefined;
  /** The inotify helper binary (Linux); without it, fs.watch holds the watches. */
  helperPath?: string | undefined;
  /** The first arming lists the relevant files it reads (NativeEngine.takeStartFiles). */
  collectFiles?: boolean;
}
