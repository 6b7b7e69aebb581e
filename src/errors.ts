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
  | 'ALREADY_RUNNING'
  | 'APP_START_FAILED'
  | 'NO_GO_MODULE'
  | 'PORT_IN_USE'
  | 'WATCH_LIMIT'
  | 'INSTANCE_LIMIT'
  | 'WATCHER_HUNG'
  | 'INTERNAL';

export class HotwatchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly where: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; where?: string; cause?: unknown; exitCode?: 1 | 2 } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HotwatchError';
    this.code = code;
    this.hint = opts.hint;
    this.where = opts.where;
    this.exitCode = opts.exitCode ?? (code === 'INTERNAL' ? 1 : 2);
  }

  /** The one line (plus an optional fix line) printed to the user. */
  format(): string {
    const head = this.where ? `${this.where} ${this.message}` : this.message;
    return this.hint ? `${head}\n  fix: ${this.hint}` : head;
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
