/**
 * Builders for the exact fixes the doctor prints: a sysctl.d file, a systemd drop-in, container flags,
 * a watcher.config.yaml key. Pure: every fix is data ({text, commands, files}) the CLI renders.
 */
import type { Fix } from './report-schema.js';

export { niceLimit, SYSCTL_FILE, sysctlFix } from '../os/sysctl.js';

/** The drop-in directory of a systemd unit (system or user manager). */
export function dropInPath(unit: string, user: boolean): string {
  return user ? `~/.config/systemd/user/${unit}.d/60-hotwatch.conf` : `/etc/systemd/system/${unit}.d/60-hotwatch.conf`;
}

/** A cgroup path inside a user manager (".../user@1000.service/..."): its units are user units. Pure. */
export function isUserManagerPath(cgroupPath: string | undefined): boolean {
  return /\/user@\d+\.service(\/|$)/.test(cgroupPath ?? '');
}

/**
 * The fix for a unit's resource settings: a [Service] drop-in (user units under ~/.config/systemd/user,
 * applied with `systemctl --user`), or, for a .scope (a terminal, a session: no unit file, a drop-in
 * has no [Service] to apply to), a fresh scope started with the settings by systemd-run.
 */
export function systemdDropInFix(text: string, unit: string, settings: Record<string, string>, user = false): Fix {
  const pairs = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  if (unit.endsWith('.scope')) {
    return {
      text: `${text} ${unit} is a scope (a terminal or session, no unit file): start hotwatch in a new scope with the setting instead.`,
      commands: [`systemd-run --user --scope ${pairs.map((p) => `-p ${p}`).join(' ')} hotwatch run`],
    };
  }
  const ctl = user ? 'systemctl --user' : 'sudo systemctl';
  return {
    text,
    files: [{ path: dropInPath(unit, user), content: `[Service]\n${pairs.join('\n')}\n` }],
    commands: [`${ctl} daemon-reload`, `${ctl} restart ${unit}`],
  };
}

export const LIMITS_FILE = '/etc/security/limits.d/60-hotwatch.conf';

/** A limits.d file raising the hard (and soft) open-files limit of `user` (pam_limits, at the next login). */
export function limitsFix(text: string, user: string, nofile: number): Fix {
  const content = `${user} soft nofile ${nofile}\n${user} hard nofile ${nofile}\n`;
  return { text, files: [{ path: LIMITS_FILE, content }], commands: [`sudo tee ${LIMITS_FILE} <<'EOF'\n${content}EOF`] };
}

/** A watcher.config.yaml change shown as the YAML to add. */
export function configFix(text: string, yaml: string, configFile: string | undefined): Fix {
  return {
    text: `${text} (in ${configFile ?? 'watcher.config.yaml'}):\n${yaml.replace(/\n$/, '')}`,
  };
}
