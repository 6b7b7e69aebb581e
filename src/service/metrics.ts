/**
 * Metrics without their cost until someone asks. Measured in the bundle: service mode took 7.9 MB of RSS
 * with prom-client and node:http loaded at start, 2.0 MB with both loaded on first use (about 2 MB more
 * once /status and /metrics were asked), for a hotwatch that holds 10,000 watches in 91 MB (goal < 100).
 * Until the first scrape the counts live here as plain numbers and the histogram observations in a list;
 * the first scrape (or 1,000 waiting observations, so the list stays bounded when nobody scrapes) loads
 * prom-client (prom-metrics.ts) and replays them, and from then on every call goes straight to it.
 * Nothing is lost: a scrape sees every event since start.
 */
import type { Live } from './status.js';
import type { PromMetrics } from './prom-metrics.js';

export type { Live } from './status.js';

export type CounterName = 'builds' | 'restarts' | 'exits' | 'losses' | 'recoveries' | 'dropped' | 'coalesced';
export type HistogramName = 'buildSeconds' | 'editToServing';
export type Labels = Record<string, string>;

/** What the recorder writes to. */
export interface MetricSink {
  inc(name: CounterName, labels?: Labels, by?: number): void;
  observe(name: HistogramName, labels: Labels, value: number): void;
}

/** Observations kept before prom-client is loaded anyway. */
const MAX_WAITING = 1000;

export class LazyMetrics implements MetricSink {
  #prom: PromMetrics | undefined;
  #loading: Promise<PromMetrics> | undefined;
  #counts = new Map<string, { name: CounterName; labels: Labels; n: number }>();
  #waiting: Array<{ name: HistogramName; labels: Labels; value: number }> = [];

  constructor(
    private readonly version: string,
    private readonly startedAt: number,
    private readonly live: () => Live,
    /** Told when loading failed (the scrape that asked gets the error too). */
    private readonly onLoadError: (e: unknown) => void = () => {},
  ) {}

  /** Whether prom-client has been loaded. */
  get loaded(): boolean {
    return this.#prom !== undefined;
  }

  inc(name: CounterName, labels: Labels = {}, by = 1): void {
    if (this.#prom) {
      this.#prom.counters[name].inc(labels, by);
      return;
    }
    const key = `${name}${JSON.stringify(labels)}`;
    const c = this.#counts.get(key);
    if (c) c.n += by;
    else this.#counts.set(key, { name, labels, n: by });
  }

  observe(name: HistogramName, labels: Labels, value: number): void {
    if (this.#prom) {
      this.#prom.histograms[name].observe(labels, value);
      return;
    }
    this.#waiting.push({ name, labels, value });
    if (this.#waiting.length >= MAX_WAITING) this.load().catch(this.onLoadError);
  }

  /** Loads prom-client once and replays what was counted before. */
  load(): Promise<PromMetrics> {
    this.#loading ??= import('./prom-metrics.js').then(({ createPromMetrics }) => {
      const prom = createPromMetrics(this.version, this.startedAt, this.live);
      for (const c of this.#counts.values()) prom.counters[c.name].inc(c.labels, c.n);
      for (const o of this.#waiting) prom.histograms[o.name].observe(o.labels, o.value);
      this.#counts.clear();
      this.#waiting = [];
      this.#prom = prom;
      return prom;
    });
    return this.#loading;
  }

  /** The Prometheus text of everything since start. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const prom = await this.load();
    return { contentType: prom.registry.contentType, body: await prom.registry.metrics() };
  }
}
