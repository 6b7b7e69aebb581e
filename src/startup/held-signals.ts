/**
 * Stop signals that arrive after bin/hotwatch.js spawned the remembered first build and before the
 * start-up's own handlers exist (cli/shutdown-signals.ts, ~60-90 ms later): without a handler, Ctrl-C
 * would end node at once and leave that build, in its own process group, running. They are held, then
 * handed to those handlers, which stop the start-up as for any signal in it (the build stopped, exit 0).
 */
export class HeldSignals {
  private readonly caught: NodeJS.Signals[] = [];
  private released = false;
  private readonly hold = (sig: NodeJS.Signals): void => void this.caught.push(sig);

  constructor(private readonly signals: readonly NodeJS.Signals[]) {
    for (const s of signals) process.on(s, this.hold);
  }

  /** Stops holding, and delivers what was caught to the handlers installed since (in order). */
  handOver(): void {
    if (this.released) return;
    this.released = true;
    for (const s of this.signals) process.off(s, this.hold);
    for (const sig of this.caught.splice(0)) process.emit(sig, sig);
  }
}
