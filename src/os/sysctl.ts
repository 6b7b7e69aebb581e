/**
 * The fix for a kernel limit set by sysctl: the value to suggest, the sysctl.d file that keeps it after
 * a reboot and the commands that write and apply it. One builder for `hotwatch doctor` (the file and the
 * commands, rendered) and `hotwatch run` (the same fix on one line, as a log hint). Pure.
 */

export const SYSCTL_FILE = '/etc/sysctl.d/60-hotwatch.conf';

/** Round up to a "nice" power of two at least `min` (sysctl values people recognise). */
export function niceLimit(needed: number, min: number): number {
  let v = min;
  while (v < needed) v *= 2;
  return v;
}

/** The watch limit to suggest: what this user's processes hold plus twice what the tree needs (room to grow). */
export function suggestedWatchLimit(held: number, needed: number): number {
  return niceLimit(held + needed * 2, 524_288);
}

/** The instance limit to suggest: what this user's processes hold plus room for 128 more. */
export function suggestedInstanceLimit(held: number): number {
  return niceLimit(held + 128, 1024);
}

export interface SysctlFix {
  text: string;
  files: Array<{ path: string; content: string }>;
  commands: string[];
}

function fileContent(keys: Record<string, number>): string {
  const lines = Object.entries(keys).map(([k, v]) => `${k} = ${v}`);
  return `# written for hotwatch (hotwatch doctor)\n${lines.join('\n')}\n`;
}

/** A sysctl.d file with the given keys and the command that applies it now and at every boot. */
export function sysctlFix(text: string, keys: Record<string, number>, extra: string[] = []): SysctlFix {
  // The file shown is exactly what the tee command writes.
  const content = fileContent(keys);
  return {
    text,
    files: [{ path: SYSCTL_FILE, content }],
    commands: [`sudo tee ${SYSCTL_FILE} <<'EOF'\n${content}EOF`, 'sudo sysctl --system', ...extra],
  };
}

/** The same fix on one line (a log hint): the value set now, and the same file written for the next boot. */
export function sysctlHint(key: string, value: number): string {
  return `sudo sysctl ${key}=${value} (now), and to keep it after a reboot: echo '${key} = ${value}' | sudo tee ${SYSCTL_FILE} && sudo sysctl --system`;
}

/** The user namespace's inotify limit is the lower one, the one that binds (a container, `unshare -U`). */
export const nsLimitBinds = (fsLimit: number | undefined, nsLimit: number | undefined): boolean =>
  nsLimit !== undefined && (fsLimit === undefined || nsLimit < fsLimit);

/**
 * The fix for an inotify limit that binds, by which one does: a user namespace's own limit (a container,
 * `unshare -U`) is raised by the namespace's root where it is created (no sudo, no sysctl.d file); the
 * host's fs.inotify limit by sudo and a sysctl.d file. Both when both are short of `needed` (what this user's
 * processes hold plus what hotwatch needs; as `hotwatch doctor` judges it). `value`: the suggested limit.
 */
export function inotifyLimitHint(
  which: 'watches' | 'instances',
  limits: { fs: number | undefined; ns: number | undefined },
  needed: number,
  value: number,
): { binds: string; hint: string } {
  const fsKey = which === 'watches' ? 'fs.inotify.max_user_watches' : 'fs.inotify.max_user_instances';
  const nsKey = which === 'watches' ? 'user.max_inotify_watches' : 'user.max_inotify_instances';
  if (!nsLimitBinds(limits.fs, limits.ns)) return { binds: fsKey, hint: sysctlHint(fsKey, value) };
  const ns =
    `this user namespace (a container, \`unshare -U\`) lowers ${nsKey} to ${limits.ns}: raise it where the namespace is created, ` +
    `as the namespace's root (no sudo): sysctl -w ${nsKey}=${value}`;
  const fsShort = limits.fs !== undefined && limits.fs < needed;
  return {
    binds: nsKey,
    hint: fsShort
      ? `${ns}; on the host, also ${sysctlHint(fsKey, value)}`
      : `${ns} (a sysctl.d file would not help: ${fsKey}, ${limits.fs}, is not what binds)`,
  };
}
