/**
 * One error type for everything a person must act on. `code` is stable (tests and JSON logs match on
 * it), `message` says what went wrong, `where` points at it (file:line:col for config), `hint` is the fix.
 * `exitCode` 2 = bad input (nothing was started), 1 = internal failure.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_PARSE'
  | 'FLAG_INVALID'
  | 'ROOT_UNREADABLE'
  | 'UNSAFE_PATH'
  | 'GO_MISSING'
  | 'COMMAND_MISSING'
  | 'ALREADY_RUNNING'
  | 'APP_START_FAILED'
  | 'NO_GO_MODULE'
  | 'GO_LIST_FAILED'
  | 'PORT_IN_USE'
  | 'WATCH_LIMIT'
  | 'INSTANCE_LIMIT'
  | 'WATCHER_HUNG'
  | 'INTERNAL';

/**
 * Stable codes of what the watcher and its watchdog tell a person (WatchNotice.code, and the `code` of
 * the watchdog's own watch.notice lines): tests and JSON logs match on them. A code may also be an
 * ErrorCode (ROOT_UNREADABLE is both a notice and the error that stops a start).
 */
export type NoticeCode =
  // kernel limits (the notice of a WATCH_LIMIT / INSTANCE_LIMIT error)
  | 'ENOSPC'
  | 'EMFILE'
  // the native watcher thread and its inotify helper
  | 'INOTIFY_HELPER_UNAVAILABLE'
  | 'WATCHER_HUNG'
  | 'WATCHER_CRASHED'
  | 'WATCHER_FAILED'
  | 'WATCHER_STUCK'
  | 'WATCH_COVERAGE_LOST'
  | 'AUDIT_OFF'
  | 'WATCH_ERROR'
  | 'WATCH_INTERNAL'
  // the root and kernel-queue overflow
  | 'ROOT_GONE'
  | 'ROOT_REPLACED'
  | 'ROOT_REARMED'
  | 'ROOT_UNREADABLE'
  | 'OVERFLOW_SUSPECTED'
  | 'QUEUE_OVERFLOW'
  | 'OVERFLOW_RECONCILED'
  // what the tree holds
  | 'SKIP_MOUNT'
  | 'MOUNT_HOLDS_GO'
  | 'POLL_MOUNT'
  | 'POLL_MOUNT_NATIVE'
  | 'SYMLINK_OUTSIDE_ROOT'
  | 'DIR_UNREADABLE'
  // polling
  | 'POLL_ROOT'
  | 'FALLBACK_POLL'
  | 'WATCH_STOPPED'
  | 'NATIVE_RETRY_FAILED'
  // the watchdog's own lines
  | 'MOUNTINFO_UNREADABLE'
  | 'SENTINEL_ON'
  | 'SENTINEL_OFF'
  | 'SENTINEL_DIR'
  | 'WATCHDOG_ERROR';

export class HotwatchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly where: string | undefined;
  readonly exitCode: 1 | 2;
  /** Several problems reported together (a config file with more than one mistake): each in full. */
  readonly problems: readonly HotwatchError[];

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; where?: string; cause?: unknown; exitCode?: 1 | 2; problems?: readonly HotwatchError[] } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HotwatchError';
    this.code = code;
    this.hint = opts.hint;
    this.where = opts.where;
    this.exitCode = opts.exitCode ?? (code === 'INTERNAL' ? 1 : 2);
    this.problems = opts.problems ?? [];
  }

  /**
   * Problems reported together as one error: the error itself when there is one, else a summary line
   * ("watcher.config.yaml: 3 problems") followed by each. `total`: how many there were, when `errors`
   * holds only the first few.
   */
  static together(errors: readonly HotwatchError[], what: string, total = errors.length): HotwatchError {
    if (errors.length === 1 && total === 1) return errors[0]!;
    const more = total > errors.length ? `, the first ${errors.length} shown` : '';
    return new HotwatchError(errors[0]!.code, `${what}: ${total} problems${more}`, { problems: errors });
  }

  /** The one line (plus an optional fix line) printed to the user; several problems one after the other. */
  format(): string {
    const head = this.where ? `${this.where} ${this.message}` : this.message;
    const one = this.hint ? `${head}\n  fix: ${this.hint}` : head;
    return this.problems.length === 0 ? one : [one, ...this.problems.map((p) => p.format())].join('\n');
  }
}

export function isHotwatchError(e: unknown): e is HotwatchError {
  return e instanceof HotwatchError;
}

/** errno code of a Node system error, or undefined. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}
