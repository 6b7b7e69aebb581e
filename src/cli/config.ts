/**
 * `hotwatch config [the flags of run]`: loads the configuration exactly as `hotwatch run` would (file,
 * flags, checks) and prints it with the source of each value. Starts nothing.
 */
import { terminalText } from '../log/terminal-text.js';
import { userErrorExit } from './user-error.js';
import { displayPath, loadConfig } from '../config/load.js';
import { printConfig } from '../config/print-config.js';
import { configHelp } from './help.js';
import { parseRunFlags } from './run-flags.js';
import type { CliIO } from './run.js';

export async function configCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    const flags = parseRunFlags('config', argv, io.cwd);
    if (flags.help) {
      io.stdout.write(configHelp());
      return 0;
    }
    const { settings, config, sourceOf } = await loadConfig({ cwd: io.cwd, isTTY: io.isTTY, ...flags.load });
    const shown = settings.configFile === undefined ? undefined : displayPath(settings.configFile, io.cwd);
    io.stdout.write(terminalText(printConfig(config, sourceOf, { root: settings.root, configFile: shown })));
    return 0;
  } catch (e) {
    return userErrorExit(e, io);
  }
}
