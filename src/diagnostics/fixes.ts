/**
 * Builders for the exact fixes the doctor prints: a sysctl.d file, a systemd drop-in, container flags,
 * a watcher.config.yaml key. Pure: every fix is data ({text, commands, files}) the CLI renders.
 */
import type { Fix } from './report-schema.js';

export const SYSCTL_FILE = '/etc/sysctl.d/60-hotwatch.conf';

/** Round up to a "nice" power of two at least `min` (sysctl values people recognise). */
export function niceLimit(needed: number, min: number): number {
  let v = min;
  while (v < needed) v *= 2;
  return v;
}

/** A sysctl.d file with the given keys and the command that applies it now and at every boot. */
export function sysctlFix(text: string, keys: Record<string, number>, extra: string[] = []): Fix {
  const lines = Object.entries(keys).map(([k, v]) => `${k} = ${v}`);
  return {
    text,
    files: [{ path: SYSCTL_FILE, content: `# written for hotwatch (hotwatch doctor)\n${lines.join('\n')}\n` }],
    commands: [
      `sudo tee ${SYSCTL_FILE} <<'EOF'\n${lines.join('\n')}\nEOF`,
      'sudo sysctl --system',
      ...extra,
    ],
  };
}

/** The drop-in directory of a systemd unit (system or user manager). */
export function dropInPath(unit: string, user: boolean): string {
  return user ? `~/.config/systemd/user/${unit}.d/60-hotwatch.conf` : `/etc/systemd/system/${unit}.d/60-hotwatch.conf`;
}

/** A systemd drop-in with [Service] settings, and the commands that apply it. */
export function systemdDropInFix(text: string, unit: string, settings: Record<string, string>, user = false): Fix {
  const body = `[Service]\n${Object.entries(settings)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
  const ctl = user ? 'systemctl --user' : 'sudo systemctl';
  return {
    text,
    files: [{ path: dropInPath(unit, user), content: body }],
    commands: [`${ctl} daemon-reload`, `${ctl} restart ${unit}`],
  };
}

/** A watcher.config.yaml change shown as the YAML to add. */
export function configFix(text: string, yaml: string, configFile: string | undefined): Fix {
  return {
    text: `${text} (in ${configFile ?? 'watcher.config.yaml'}):\n${yaml.replace(/\n$/, '')}`,
  };
}
