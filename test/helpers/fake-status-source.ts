/** A StatusSource the tests set by hand (the runtime implements the real one). */
import type { JobView, StatusSource, WatchView } from '../../src/service/status.js';

export class FakeStatusSource implements StatusSource {
  jobView: JobView = { state: 'starting', since: Date.now(), app: undefined, expectsListening: true };
  watchView: WatchView = {
    backend: 'native',
    watches: 12,
    dirs: 11,
    scopes: [{ path: '/src', kind: 'root', state: 'ok', since: Date.now() }],
  };

  job(): JobView {
    return this.jobView;
  }

  watch(): WatchView {
    return this.watchView;
  }

  set(job: Partial<JobView>): void {
    this.jobView = { ...this.jobView, since: Date.now(), ...job };
  }

  scope(state: WatchView['scopes'][number]['state'], cause?: string, since = Date.now()): void {
    this.watchView = { ...this.watchView, scopes: [{ ...this.watchView.scopes[0]!, state, cause, since }] };
  }
}
