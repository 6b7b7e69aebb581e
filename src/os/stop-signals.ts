/** The signals `hotwatch run` stops on (cli/shutdown-signals.ts), also held from the remembered first build's spawn (startup/held-signals.ts). */
import os from 'node:os';

/**
 * Signals that stop hotwatch as Ctrl-C does (build aborted, app stopped, then exit): every catchable
 * signal whose default action ends the process, as Node leaves them. Without a handler such a signal
 * (Ctrl-\ is SIGQUIT) killed hotwatch on the spot and left the app, in its own process group, running on
 * its port. SIGINT, SIGTERM and SIGHUP are requests to stop: exit 0. The others get the same stop, then
 * exit 128+n, so a caller still sees which signal ended it; no core dump after a clean stop (hotwatch's
 * core is of no use to anyone, and would land in the module root).
 * Not handled, on purpose: SIGUSR1 (Node's inspector), SIGPROF (V8's CPU profiler samples with it: a
 * handler would end a profiled hotwatch at its first sample), SIGPIPE and SIGXFSZ (Node ignores them),
 * SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV and SIGSYS (a fault in hotwatch itself or a debugger:
 * no JavaScript can run safely there), SIGKILL and SIGSTOP (cannot be caught). Names this platform lacks
 * (SIGPWR, SIGSTKFLT on macOS) are left out.
 */
export const REQUEST_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
export const STOP_SIGNALS: NodeJS.Signals[] = [
  ...REQUEST_SIGNALS,
  'SIGQUIT',
  'SIGUSR2',
  'SIGALRM',
  'SIGVTALRM',
  'SIGXCPU',
  'SIGSTKFLT',
  'SIGIO',
  'SIGPWR',
].filter((s) => s in os.constants.signals) as NodeJS.Signals[];
