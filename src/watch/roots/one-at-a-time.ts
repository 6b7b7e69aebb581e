/** Changes of the watch set run one at a time, in the order asked (watch-set.ts). */
export class OneAtATime {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (e: unknown) => void) {}

  /** For a caller that awaits the outcome (errors are its own to report). */
  exclusive<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** For a caller that does not: an error is reported through onError. */
  serial(f: () => Promise<void>): Promise<void> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(this.onError);
    return this.chain;
  }

  /** Resolves once everything asked so far has ended. */
  settled(): Promise<void> {
    return this.chain.catch(() => undefined);
  }
}
