/**
 * Behind the proxy the app must listen on the port hotwatch gives it (`$PORT`, proxy.appPortEnv): the
 * proxy forwards there. An app with a port of its own listens elsewhere, and the proof that the new
 * version serves waited for proxy.readyTimeout (30 s by default) in silence, then blamed the port it
 * never tried. So while that proof runs, the app's process tree's listening sockets are read every
 * second: once it listens, but not on that port, a warning says where it listens and both fixes at once
 * (an app may still open the right port later, after a slow start: the wait goes on), and the final
 * message names it too. The pages are told at once as well (`found`: the proxy's overlay, or the 503 a
 * request held for the new version gets), not after proxy.readyTimeout.
 */
import type { Logger } from '../log/logger.js';
import { descendantsOf } from '../os/procfs.js';
import { listeningPortsOf } from '../os/ports.js';

const CHECK_EVERY_MS = 1000;

export class WrongPortWatch {
  private elsewhere: number[] = [];
  private said = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly port: number,
    private readonly portEnv: string,
    private readonly log: Logger,
    /** Once found: what the pages show (title, lines). */
    private readonly found: (title: string, lines: string[]) => void = () => undefined,
  ) {
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** For the failure's message: where the app listens instead, or ''. */
  note(): string {
    this.check();
    if (this.elsewhere.length === 0) return '';
    return `; it listens on ${this.where()} instead: make it listen on $${this.portEnv}, or give it a fixed port with --app-port ${this.elsewhere[0]} (proxy.appPort)`;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private where(): string {
    return this.elsewhere.map((p) => `:${p}`).join(', ');
  }

  private check(): void {
    const ports = listeningPortsOf([this.pid, ...descendantsOf(this.pid)]);
    this.elsewhere = ports.length > 0 && !ports.includes(this.port) ? ports : [];
    if (this.elsewhere.length === 0 || this.said) return;
    this.said = true;
    this.found(`The app listens on ${this.where()}, not on port ${this.port} ($${this.portEnv})`, [
      `the proxy forwards to port ${this.port}, which hotwatch gave the app in $${this.portEnv}; it listens on ${this.where()} instead`,
      `fix: make it listen on os.Getenv("${this.portEnv}"), or give it a fixed port with --app-port ${this.elsewhere[0]} (proxy.appPort)`,
      'still waiting for it (proxy.readyTimeout): a save brings the next version',
    ]);
    this.log.warn(
      { event: 'app.wrong-port', port: this.port, listening: this.elsewhere },
      `the app listens on ${this.where()}, not on port ${this.port} that hotwatch gave it in $${this.portEnv} (the proxy forwards there): still waiting for it — fix: make it listen on os.Getenv("${this.portEnv}"), or give it a fixed port with --app-port ${this.elsewhere[0]} (proxy.appPort; a restart is then stop, then start)`,
    );
  }
}
