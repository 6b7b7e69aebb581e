/**
 * `hotwatch init`: inspect the repo (or convert an .air.toml), write a commented watcher.config.yaml
 * generated from the schema, and git-ignore .hotwatch/. Every refusal is ONE HotwatchError (exit 2)
 * with the fix, thrown before anything is written.
 */
import { shellWord } from '../shell-word.js';
import fs from 'node:fs';
import path from 'node:path';
import { HotwatchError } from '../errors.js';
import { CONFIG_FILE_NAME, displayPath } from '../config/load.js';
import { parseConfigText } from '../config/parse-config.js';
import { LIST_DEFAULTS } from '../config/lists.js';
import { ConfigSchema, type Config } from '../config/schema.js';
import { convertAir, type Unmapped } from './air/convert.js';
import { readAirToml } from './air/read.js';
import { ensureGitignored, type GitignoreChange } from './gitignore.js';
import { inspectRepo, type RepoFacts } from './inspect.js';
import { planFromRepo } from './plan.js';
import { renderConfig, type ConfigDraft } from './render.js';
import { schemaRef } from './schema-ref.js';
import { chooseMain } from './choose-main.js';
import { InputFileError, readRegularTextSync } from '../os/regular-file.js';

export interface InitOptions {
  /** Absolute directory the config is written to (the project root). */
  root: string;
  /** The caller's working directory: paths given on the command line are relative to it. */
  cwd: string;
  /** --main PKG */
  main?: string | undefined;
  /** --all: every main package found, as apps of one hotwatch. */
  all?: boolean | undefined;
  force: boolean;
  /** --from-air [FILE]: '' for the root's .air.toml; undefined without the flag. */
  fromAir?: string | undefined;
  /** Asks which main package to use (a terminal); undefined when nobody can answer. */
  ask?: ((mains: string[]) => Promise<string | undefined>) | undefined;
  /** process.platform: the [build.<os>] block of an .air.toml that applies. */
  platform: string;
}

export interface InitResult {
  configFile: string;
  text: string;
  /** What was found or converted, one line each (for the terminal). */
  found: string[];
  /** Settings of the .air.toml that were not converted. */
  unmapped: Unmapped[];
  /** Settings of the .air.toml converted to something that behaves differently (said on stderr). */
  differences: Unmapped[];
  gitignore: { file: string; change: GitignoreChange };
}

function checkRoot(root: string, cwd: string): void {
  const st = fs.statSync(root, { throwIfNoEntry: false });
  if (!st?.isDirectory()) {
    throw new HotwatchError('ROOT_UNREADABLE', `${displayPath(root, cwd)}: ${st ? 'not a directory' : 'no such directory'}`, {
      hint: 'pass the directory of your Go module with --root DIR, or run hotwatch init in it',
    });
  }
}

function moduleMissing(facts: RepoFacts): HotwatchError {
  const p = facts.project;
  const parent = p.kind === 'none' ? p.parent : undefined;
  const where = parent
    ? `${facts.root} is inside the module at ${parent}: hotwatch init writes the config at the module's root (and picks the main package there)`
    : `no go.mod or go.work in ${facts.root}: hotwatch init writes the config of a Go module or workspace, at its root`;
  return new HotwatchError('NO_GO_MODULE', where, {
    hint: parent
      ? `hotwatch init --root ${parent}, then run hotwatch there (hotwatch run here works as well, without a config)`
      : `run it in your module's directory (the one holding go.mod), or create a module here first: go mod init example.com/app`,
  });
}

function fromAir(
  opts: InitOptions,
  defaults: Config,
): { draft: ConfigDraft; found: string[]; unmapped: Unmapped[]; differences: Unmapped[] } {
  if (opts.main !== undefined) {
    throw new HotwatchError('FLAG_INVALID', '--main cannot be combined with --from-air: the air config says what to build', {
      hint: 'drop --main (edit build.package in the converted file if needed), or drop --from-air',
    });
  }
  const file = opts.fromAir ? path.resolve(opts.cwd, opts.fromAir) : path.join(opts.root, '.air.toml');
  const shown = displayPath(file, opts.cwd);
  let text: string;
  try {
    text = readRegularTextSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HotwatchError(
      'CONFIG_NOT_FOUND',
      `--from-air ${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : e instanceof InputFileError ? e.message : `cannot be read (${code})`}`,
      {
        hint: 'pass the path of your air config: hotwatch init --from-air path/to/.air.toml',
        cause: e,
      },
    );
  }
  const air = readAirToml(text, shown);
  const projectRoot = path.resolve(opts.root, (air.values.get('root') as string | undefined) ?? '.');
  const conv = convertAir(air, shown, { root: projectRoot, platform: opts.platform, defaults });
  const found = [`converted ${conv.mapped.size} of ${conv.mapped.size + conv.unmapped.length} settings of ${shown}`];
  return { draft: conv.draft, found, unmapped: conv.unmapped, differences: conv.differences };
}

async function fromRepo(opts: InitOptions): Promise<{ draft: ConfigDraft; found: string[] }> {
  const facts = inspectRepo(opts.root, LIST_DEFAULTS.extensions);
  if (facts.project.kind === 'none') throw moduleMissing(facts);
  const main = await chooseMain(facts, opts.main, opts.ask, opts.all === true);
  return planFromRepo(facts, main);
}

/** This `hotwatch init`, as typed, with --force: the fix must run as the command that was refused would have. */
function forceCommand(o: InitOptions): string {
  const root = path.relative(o.cwd, o.root);
  const words = ['hotwatch', 'init', '--force'];
  if (root !== '') words.push('--root', root);
  if (o.main !== undefined) words.push('--main', o.main);
  if (o.all) words.push('--all');
  if (o.fromAir !== undefined) words.push(...(o.fromAir === '' ? ['--from-air'] : ['--from-air', o.fromAir]));
  return words.map(shellWord).join(' ');
}

export async function runInit(opts: InitOptions): Promise<InitResult> {
  checkRoot(opts.root, opts.cwd);
  const configFile = path.join(opts.root, CONFIG_FILE_NAME);
  const shown = displayPath(configFile, opts.cwd);
  if (fs.existsSync(configFile) && !opts.force) {
    throw new HotwatchError('FLAG_INVALID', `${shown} already exists: hotwatch init does not overwrite it`, {
      hint: `keep it (hotwatch run uses it), or replace it with a freshly generated one: ${forceCommand(opts)}`,
    });
  }
  const defaults = ConfigSchema.parse({});
  const plan = opts.fromAir !== undefined ? fromAir(opts, defaults) : { ...(await fromRepo(opts)), unmapped: [], differences: [] };
  const text = renderConfig(plan.draft, schemaRef(opts.root));
  try {
    parseConfigText(text, shown); // the file must be one hotwatch run accepts
  } catch (e) {
    throw new HotwatchError(
      'INTERNAL',
      `hotwatch init generated an invalid ${shown}: ${e instanceof HotwatchError ? e.format() : String(e)}`,
      { cause: e },
    );
  }
  const gitignore = writeFiles(opts, configFile, shown, text);
  return { configFile, text, found: plan.found, unmapped: plan.unmapped, differences: plan.differences, gitignore };
}

/** The config, then .gitignore; a file system refusal (read-only, permissions) is exit 2 with the fix. */
function writeFiles(opts: InitOptions, configFile: string, shown: string, text: string): ReturnType<typeof ensureGitignored> {
  let what = shown;
  try {
    fs.writeFileSync(configFile, text, { flag: opts.force ? 'w' : 'wx' });
    what = '.gitignore';
    return ensureGitignored(opts.root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new HotwatchError('ROOT_UNREADABLE', `cannot write ${what} (${code})${what === '.gitignore' ? `; ${shown} was written` : ''}`, {
      hint:
        code === 'EEXIST'
          ? 'another hotwatch init wrote it meanwhile: look at it, or run again with --force'
          : what === '.gitignore'
            ? 'make .gitignore writable for your user, or add the line .hotwatch/ to it yourself'
            : `make ${opts.root} writable for your user (ls -ld ${opts.root})`,
      cause: e,
    });
  }
}
