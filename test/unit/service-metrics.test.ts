import { describe, expect, it } from 'vitest';
import { LazyMetrics } from '../../src/service/metrics.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { waitFor } from '../helpers/wait.js';

const live = () => ({
  job: { state: 'running' as const, since: 0, app: undefined, expectsListening: false },
  watch: { backend: 'native', watches: 3, dirs: 2, scopes: [] },
  health: { ok: true, serving: true, current: true, watchHealthy: true },
});

describe('LazyMetrics', () => {
  it('counts before prom-client is loaded and replays everything at the first scrape', async () => {
    const m = new LazyMetrics('0.1.0', 1_800_000_000_000, live);
    m.inc('builds', { outcome: 'ok' });
    m.inc('builds', { outcome: 'ok' });
    m.inc('coalesced', {}, 5);
    m.observe('buildSeconds', { outcome: 'ok' }, 0.4);
    m.observe('buildSeconds', { outcome: 'ok' }, 3);
    expect(m.loaded).toBe(false);
    let f = parsePrometheusText((await m.exposition()).body);
    expect(m.loaded).toBe(true);
    expect(sampleValue(f, 'hotwatch_builds_total', { outcome: 'ok' })).toBe(2);
    expect(sampleValue(f, 'hotwatch_events_coalesced_total')).toBe(5);
    expect(sampleValue(f, 'hotwatch_build_duration_seconds_bucket', { outcome: 'ok', le: '0.5' })).toBe(1);
    expect(sampleValue(f, 'hotwatch_build_duration_seconds_count', { outcome: 'ok' })).toBe(2);
    expect(sampleValue(f, 'hotwatch_build_duration_seconds_sum', { outcome: 'ok' })).toBeCloseTo(3.4);
    expect(sampleValue(f, 'hotwatch_inotify_watches')).toBe(3);
    expect(sampleValue(f, 'hotwatch_info', { version: '0.1.0' })).toBe(1);
    // After loading, straight to prom-client: nothing counted twice.
    m.inc('builds', { outcome: 'ok' });
    f = parsePrometheusText((await m.exposition()).body);
    expect(sampleValue(f, 'hotwatch_builds_total', { outcome: 'ok' })).toBe(3);
    expect(sampleValue(f, 'hotwatch_build_duration_seconds_count', { outcome: 'ok' })).toBe(2);
  });

  it('loads by itself once 1,000 observations wait, so nobody scraping never grows the list without bound', async () => {
    const m = new LazyMetrics('0.1.0', 0, live);
    for (let i = 0; i < 999; i++) m.observe('editToServing', {}, 0.5);
    expect(m.loaded).toBe(false);
    m.observe('editToServing', {}, 0.5);
    await waitFor(() => m.loaded, { description: 'prom-client loaded', timeoutMs: 10_000 });
    const f = parsePrometheusText((await m.exposition()).body);
    expect(sampleValue(f, 'hotwatch_edit_to_serving_seconds_count')).toBe(1000);
  });
});
