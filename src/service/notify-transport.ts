/**
 * How a notify datagram reaches systemd: Node 20 has no AF_UNIX datagram socket (dgram is UDP only, net is
 * stream only), so one long-lived `hotwatch-service notify` child sends them (see helper/main.go).
 * Chosen by measurement (bench/notify-transport.mjs, 500 sends to a python3 receiver, three runs): the
 * helper delivers in 10 µs median (p99 0.9-1.4 ms), costs 3.0 MB RSS and a 0.42-0.48 s build once (1.8 MB
 * binary, the user's go, nothing downloaded). The `unix-dgram` addon is faster (4 µs, p99 30 µs) at the
 * same memory (+2.9 MB in node), but needs a C++ compiler, Node's headers and an approved install script
 * (npm 11 does not run it unasked) on every machine and Node major, and cannot reach an abstract "@name"
 * socket (ECONNREFUSED: it passes the address as a C string). `sd-notify` also links libsystemd (its
 * headers at install); `systemd-notify` (the package) spawns systemd-notify per message, whose sender is
 * gone before systemd reads the datagram, so the message cannot be attributed to the service. A ping
 * every few seconds makes the latency moot; the install story decides. A long-lived sender has no
 * attribution race, but it is a child: the unit needs NotifyAccess=all (hotwatch systemd-unit writes it).
 *
 * A send never throws: it resolves with what happened. The helper starts on the first send and again
 * after it died; a helper that cannot use the socket at all (an unsupported NOTIFY_SOCKET) fails every
 * later send at once with the same reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ServiceHelper } from './helper-binary.js';

export type SendResult = { ok: true } | { ok: false; error: string };

export interface NotifyTransport {
  send(payload: string): Promise<SendResult>;
  /** The pid datagrams are sent from (systemd attributes them to it); undefined until it started. */
  readonly senderPid: number | undefined;
  close(): Promise<void>;
}

/** Sends still unanswered beyond which a new send fails at once: a receiver that stopped reading must not grow our memory. */
const MAX_PENDING = 64;
const CLOSE_TIMEOUT_MS = 2000;

const encodeLine = (s: string): string => s.replace(/%/g, '%25').replace(/\n/g, '%0A');
const decodeLine = (s: string): string => s.replace(/%0A/g, '\n').replace(/%25/g, '%');

export class HelperTransport implements NotifyTransport {
  #child: ChildProcess | undefined;
  #starting: Promise<ChildProcess | string> | undefined;
  #fatal: string | undefined;
  #seq = 0;
  #pending = new Map<number, (r: SendResult) => void>();
  #closed = false;

  constructor(
    private readonly socket: string,
    private readonly helper: () => Promise<ServiceHelper>,
  ) {}

  get senderPid(): number | undefined {
    return this.#child?.pid;
  }

  async send(payload: string): Promise<SendResult> {
    if (this.#closed) return { ok: false, error: 'the notifier is closed' };
    if (this.#fatal) return { ok: false, error: this.#fatal };
    if (this.#pending.size >= MAX_PENDING)
      return { ok: false, error: `${MAX_PENDING} notifications unanswered: the helper or the receiver is stuck` };
    const child = await this.#ensure();
    if (typeof child === 'string') return { ok: false, error: child };
    // It may have exited while we waited: its exit has already failed what was pending, and would not fail this.
    if (this.#child !== child) return { ok: false, error: 'the notify helper exited; the next notification starts it again' };
    const seq = ++this.#seq;
    const answered = new Promise<SendResult>((resolve) => this.#pending.set(seq, resolve));
    this.#setRef(true);
    child.stdin!.write(`${seq} ${encodeLine(payload)}\n`);
    return answered;
  }

  #ensure(): Promise<ChildProcess | string> {
    if (this.#child) return Promise.resolve(this.#child);
    this.#starting ??= this.helper().then((h) => {
      this.#starting = undefined;
      if ('unavailable' in h) {
        this.#fatal = `no notify helper: ${h.unavailable}`;
        return this.#fatal;
      }
      if (this.#closed) return 'the notifier is closed';
      return this.#spawn(h.path);
    });
    return this.#starting;
  }

  #spawn(bin: string): ChildProcess {
    // Only the socket's address: the helper needs nothing else from hotwatch's environment.
    const child = spawn(bin, ['notify'], { env: { NOTIFY_SOCKET: this.socket }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    let stderr = '';
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.#answer(line);
    });
    child.stdin!.on('error', () => {}); // EPIPE after the helper died: reported by the exit below
    child.on('error', (e) => this.#gone(child, `the notify helper failed: ${e.message}`));
    child.on('exit', (code, sig) =>
      this.#gone(child, `the notify helper exited (${sig ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`),
    );
    this.#setRef(this.#pending.size > 0);
    return child;
  }

  #answer(line: string): void {
    const [seq, status, ...why] = line.split(' ');
    if (seq === 'f') {
      this.#fatal = `NOTIFY_SOCKET=${this.socket} cannot be used: ${decodeLine(why.join(' ')) || status}`;
      return;
    }
    const resolve = this.#pending.get(Number(seq));
    if (!resolve) return;
    this.#pending.delete(Number(seq));
    resolve(status === 'ok' ? { ok: true } : { ok: false, error: `${status}: ${decodeLine(why.join(' '))}` });
    if (this.#pending.size === 0) this.#setRef(false);
  }

  #gone(child: ChildProcess, why: string): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    for (const resolve of this.#pending.values()) resolve({ ok: false, error: this.#fatal ?? why });
    this.#pending.clear();
  }

  /** The helper keeps hotwatch alive only while a send waits for its answer (an idle notifier never holds up exit). */
  #setRef(on: boolean): void {
    const c = this.#child;
    if (!c) return;
    for (const h of [c, c.stdout, c.stderr, c.stdin] as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#starting;
    const c = this.#child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.ref();
    c.stdin!.end(); // the helper exits when stdin closes
    const t = setTimeout(() => c.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(t);
  }
}
