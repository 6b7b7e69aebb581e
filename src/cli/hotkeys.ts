/**
 * Keys at a terminal, as people expect of a dev loop: `r` rebuilds and restarts, `c` clears the screen,
 * `q` quits (as Ctrl-C does), `h` (or `?`) lists the keys. Only when stdin is a TTY: in a pipe, under
 * systemd or in a container, stdin belongs to nobody and is left alone. Raw mode turns Ctrl-C into a
 * byte, so it is mapped back to SIGINT: Ctrl-C keeps meaning what it means everywhere else; so do
 * Ctrl-\ (SIGQUIT) and Ctrl-Z (the terminal back to cooked mode, then SIGTSTP: the shell gets its prompt,
 * and `fg` brings hotwatch back with its keys; it ate Ctrl-Z, and what was typed next went to it as keys).
 */
import { readStat } from '../os/procfs.js';

export interface HotkeyActions {
  rebuild(): void;
  clear(): void;
  quit(): void;
  help(text: string): void;
  /** Ctrl-Z: stop this process as the terminal would (listenForHotkeys gives the terminal back first). */
  suspend?(): void;
}

export const HOTKEYS_HELP = 'keys: r rebuild and restart · c clear the screen · q quit · h help';

/** The bytes of one read → the actions they ask for. Pure. */
export function keysToActions(data: string, actions: HotkeyActions): void {
  for (const ch of data) {
    switch (ch) {
      case 'r':
      case 'R':
        actions.rebuild();
        break;
      case 'c':
      case 'C':
        actions.clear();
        break;
      case 'q':
      case 'Q':
        actions.quit();
        break;
      case 'h':
      case 'H':
      case '?':
        actions.help(HOTKEYS_HELP);
        break;
      case '\u0003': // Ctrl-C in raw mode
        process.kill(process.pid, 'SIGINT');
        break;
      case '\u001c': // Ctrl-\ in raw mode
        process.kill(process.pid, 'SIGQUIT');
        break;
      case '\u001a': // Ctrl-Z in raw mode
        if (actions.suspend) actions.suspend();
        else process.kill(process.pid, 'SIGTSTP');
        break;
      default:
        break; // other keys (Enter, arrows) mean nothing here
    }
  }
}

/** How often a hotwatch in the background of its terminal looks whether `fg` brought it forward. */
const BACKGROUND_LOOK_MS = 1000;

/**
 * Whether this process group owns the terminal (its foreground group): a background job (`hotwatch run &`)
 * that set raw mode or read stdin was stopped by the terminal (SIGTTOU, SIGTTIN), nothing served until `fg`.
 * True where /proc cannot say.
 */
export function inForeground(): boolean {
  const stat = readStat(process.pid);
  return stat?.tpgid === undefined || stat.tpgid === stat.pgrp;
}

/**
 * Reads keys from a TTY stdin until the signal aborts; returns false (and does nothing) without a TTY.
 * In the background of its terminal, stdin is left alone until `fg` (its SIGCONT) brings it forward:
 * `onKeys` is told each time the keys start working, `onBackground` when they wait for that.
 */
export function listenForHotkeys(
  stdin: NodeJS.ReadStream,
  actions: HotkeyActions,
  signal: AbortSignal,
  events: { onKeys?: () => void; onBackground?: () => void } = {},
): boolean {
  if (!stdin.isTTY || signal.aborted) return false;
  stdin.setEncoding('utf8');
  let reading = false;
  let waiting = true; // for the keys to be said: at start, and after the background notice
  // In the background, looked at every second: bash's `fg` of a job that runs sends no SIGCONT.
  let background: NodeJS.Timeout | undefined;
  // Raw mode and reading, only in the foreground. Raw mode is set off first: after a stop from outside
  // (kill -TSTP, a debugger) the shell restored its cooked mode, and libuv skips a mode it thinks is set.
  const take = (): void => {
    if (signal.aborted || !stdin.isTTY) return;
    if (!inForeground()) {
      if (reading) stdin.pause();
      reading = false;
      background ??= setInterval(take, BACKGROUND_LOOK_MS).unref();
      return;
    }
    clearInterval(background);
    background = undefined;
    stdin.setRawMode(false);
    stdin.setRawMode(true);
    stdin.resume();
    if (waiting) events.onKeys?.();
    [reading, waiting] = [true, false];
  };
  // Ctrl-Z: the terminal cooked and stdin paused, then stopped. Where the shell has no job control (`bash
  // -c`, `ssh host hotwatch run`, a tmux command) the kernel discards the SIGTSTP of an orphaned process
  // group and no SIGCONT comes: the keys are taken back at once, or they were dead.
  const suspend = (): void => {
    stdin.setRawMode(false);
    stdin.pause();
    reading = false;
    process.kill(process.pid, 'SIGTSTP');
    take();
  };
  const onData = (data: string): void => keysToActions(data, { ...actions, suspend });
  // Paused before the listener: a 'data' listener alone starts reading, and a read from the background
  // is stopped by the terminal (SIGTTIN, the whole job with it). take() resumes it in the foreground only.
  stdin.pause();
  stdin.on('data', onData);
  process.on('SIGCONT', take);
  take();
  if (!reading) events.onBackground?.();
  signal.addEventListener(
    'abort',
    () => {
      stdin.off('data', onData);
      process.off('SIGCONT', take);
      clearInterval(background);
      if (inForeground()) stdin.setRawMode(false); // in the background, the terminal would stop hotwatch for it
      stdin.pause(); // lets the process exit: a flowing stdin keeps the event loop alive
    },
    { once: true },
  );
  return true;
}

/** The keys' actions for a run: r asks `target` for a rebuild and restart, q quits as Ctrl-C does. */
export function runHotkeys(
  target: { rebuild(): void },
  say: (text: string) => void,
  screen: NodeJS.WritableStream,
  quit: () => void,
): HotkeyActions {
  return {
    rebuild: () => target.rebuild(),
    clear: () => screen.write('\u001b[2J\u001b[3J\u001b[H'),
    quit,
    help: say,
  };
}
