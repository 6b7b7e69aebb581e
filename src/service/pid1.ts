/**
 * `hotwatch run` as PID 1 (a container started without --init): every orphan in the container is
 * re-parented to PID 1, and a Node PID 1 reaps only the children libuv spawned, so the app's double-forked
 * helpers would pile up as zombies until the pid limit. Node has no waitpid for others and no execve to
 * hand PID 1 over, so PID 1 stays a thin Node that starts `hotwatch-service init` (a Go child subreaper:
 * every orphan below it comes to it and is reaped) running the real hotwatch, forwards the stop signals,
 * and exits with its code. The cost is one idle Node process (46 MB RSS measured as that PID 1);
 * `docker run --init` or compose's `init: true` avoid it, and the message says so. Without the helper
 * (no go), or with HOTWATCH_PID1_INIT=off, hotwatch runs as PID 1 as before and says, once, what that
 * means and the fix.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { serviceHelper } from './helper-binary.js';

export interface Pid1IO {
  stderr: NodeJS.WritableStream;
}

const FIX = 'docker run --init ..., or init: true under the service in compose.yaml (Kubernetes: shareProcessNamespace: true)';

/** Signals a container runtime or a terminal sends PID 1 that hotwatch acts on (SIGUSR1 stays Node's inspector). */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGWINCH'];

/**
 * Runs `hotwatch run ARGV` under the reaper and resolves with its exit code; undefined when hotwatch
 * should run as PID 1 itself (the reason was said).
 */
export async function runAsPid1(argv: string[], io: Pid1IO, env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const stay = (why: string): undefined => {
    io.stderr.write(
      `hotwatch: running as PID 1 without an init (${why}): orphaned processes of the app stay zombies until the container stops\n  fix: ${FIX}\n`,
    );
    return undefined;
  };
  if (env.HOTWATCH_PID1_INIT === 'off') return stay('HOTWATCH_PID1_INIT=off');
  // A PID 1 ignores a signal it has no handler for: docker stop during the helper's first build (~0.4 s)
  // would wait for its SIGKILL. Caught, it ends the start-up as hotwatch run's own handlers would.
  let early: NodeJS.Signals | undefined;
  const onEarly = (sig: NodeJS.Signals) => (early ??= sig);
  for (const s of FORWARDED) process.on(s, onEarly);
  const helper = await serviceHelper(env).finally(() => {
    for (const s of FORWARDED) process.off(s, onEarly);
  });
  if (early) {
    io.stderr.write(`hotwatch: ${early} while starting: stopped; nothing was started\n`);
    return 0;
  }
  if ('unavailable' in helper) return stay(`no reaper: ${helper.unavailable}`);
  io.stderr.write(
    `hotwatch: running as PID 1 without an init: hotwatch runs under its own reaper (hotwatch-service init) so orphans do not become zombies\n  to save that process: ${FIX}\n`,
  );
  // detached (its own session): a terminal's Ctrl-C reaches only us, and is forwarded once.
  const child = spawn(helper.path, ['init', '--', process.execPath, ...process.execArgv, process.argv[1]!, 'run', ...argv], {
    stdio: 'inherit',
    detached: true,
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await new Promise<number>((resolve) => {
      child.once('error', (e) => {
        io.stderr.write(`hotwatch: cannot start the reaper ${helper.path}: ${e.message}\n`);
        resolve(1);
      });
      // The helper exits as hotwatch did (128+N for a signal N).
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}
