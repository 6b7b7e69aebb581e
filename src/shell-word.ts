/** Quoting for a command line a user pastes into /bin/sh (init's build.cmd, systemd-unit's install line). */

/** A word as /bin/sh reads it back: bare when it is plain, single-quoted otherwise. */
export function shellWord(s: string): string {
  return /^[\w./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
