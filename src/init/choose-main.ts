/**
 * Which main package the config builds: --main when given (checked to be one), the only one found, or
 * the one picked at the terminal. With several and nobody to ask: exit 2 listing them and the flag.
 * In a go.work workspace the fix names the package the same way: never `go mod init`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HotwatchError } from '../errors.js';
import { dotPath } from './gowork.js';
import type { RepoFacts } from './inspect.js';
import { ALL_AS_APPS } from './plan-apps.js';

/** --main as given ('cmd/api', './cmd/api/', an absolute path) → './cmd/api' relative to the root. */
export function normalizeMain(root: string, given: string): string | undefined {
  const abs = path.resolve(root, given);
  const rel = path.relative(root, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return dotPath(root, abs);
}

function notMain(facts: RepoFacts, given: string, why: string): HotwatchError {
  const hint =
    facts.mains.length > 0
      ? `pass one of the main packages found: ${facts.mains.map((m) => `--main ${m}`).join(', ')}`
      : 'pass the directory of a package main (with func main), relative to the root, e.g. --main ./cmd/server';
  return new HotwatchError('FLAG_INVALID', `--main ${given}: ${why}`, { hint });
}

function checkGiven(facts: RepoFacts, given: string): string {
  const main = normalizeMain(facts.root, given);
  if (main === undefined) throw notMain(facts, given, `outside the root ${facts.root}`);
  if (facts.mains.includes(main)) return main;
  const dir = path.resolve(facts.root, main);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw notMain(facts, given, `${dir} is not a directory`);
  if (facts.nestedMains.includes(main))
    throw new HotwatchError(
      'FLAG_INVALID',
      `--main ${given}: ${main} is a module of its own (${main}/go.mod): hotwatch builds the module it runs in`,
      {
        hint: `run it there: cd ${main} && hotwatch init (a replace or a go.work there pulling this module in gets its edits watched too)`,
      },
    );
  throw notMain(facts, given, `${main} holds no package main (a program with func main)`);
}

function noMain(facts: RepoFacts): HotwatchError {
  const where =
    facts.project.kind === 'workspace' ? `the modules of go.work (${facts.project.uses.join(', ') || 'none found'})` : facts.root;
  return new HotwatchError(
    'CONFIG_INVALID',
    `no main package (package main with func main) found in ${where}${facts.complete ? '' : ' (the search stopped early: a large tree)'}: there is no program to build and run`,
    {
      hint:
        facts.nestedMains.length > 0
          ? `the programs here are in modules of their own (${facts.nestedMains.join(', ')}): run hotwatch in one: cd ${facts.nestedMains[0]} && hotwatch init`
          : 'name the one to build: hotwatch init --main ./path/to/program (a directory holding package main)',
    },
  );
}

/** The main package to build, or ALL_AS_APPS (--all, or picked at the prompt): every one found, as apps. */
export async function chooseMain(
  facts: RepoFacts,
  given: string | undefined,
  ask?: (choices: string[]) => Promise<string | undefined>,
  all = false,
): Promise<string> {
  if (all && given !== undefined)
    throw new HotwatchError('FLAG_INVALID', '--all and --main cannot be combined: --all runs every main package found', {
      hint: 'drop --main to run them all as apps, or drop --all to run the one named',
    });
  if (given !== undefined) return checkGiven(facts, given);
  if (facts.mains.length === 0) throw noMain(facts);
  if (all) return ALL_AS_APPS;
  if (facts.mains.length === 1) return facts.mains[0]!;
  const picked = ask ? await ask([...facts.mains, ALL_AS_APPS]) : undefined;
  if (picked !== undefined) return picked;
  throw new HotwatchError(
    'FLAG_INVALID',
    `several main packages here: ${facts.mains.join(', ')}; which one should hotwatch build and run?`,
    {
      hint: `name it: ${facts.mains.map((m) => `hotwatch init --main ${m}`).join('  or  ')}; or run them all from one hotwatch: hotwatch init --all`,
    },
  );
}
