/** One log line per watcher notice: what happened, where, and the fix. */
import type { Logger } from './logger.js';
import type { WatchNotice } from '../watch/types.js';

export function logNotice(log: Logger, n: WatchNotice): void {
  const fields = { event: 'watch.notice', code: n.code, path: n.path, hint: n.hint };
  const text = `${n.message}${n.hint ? ` — fix: ${n.hint}` : ''}`;
  log[n.level](fields, text);
}
