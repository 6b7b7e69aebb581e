/**
 * The first build's plan, remembered from the last `hotwatch run` with the same flags in the same
 * directory, so the next one can spawn that build before the rest of hotwatch loads (remembered-build.ts;
 * issue 19: launch → first build start under 100 ms, when node's own start is ~60 ms of it).
 *
 * What is kept: the program, its arguments, the root, the output path and the config's build.env, one
 * small JSON file per (directory, flags) in the per-user cache directory (os/user-cache.ts: ours alone,
 * or nothing is kept or read). The process environment is not kept (it may hold secrets): the next
 * spawn uses the environment it finds, as the start-up would.
 *
 * When it is used: only while everything the plan was derived from is unchanged: hotwatch's version and
 * code, the directory, the flags, and the config file's content (or its absence). The key is a hash of
 * all of it and of the plan itself (a torn or edited file does not match). Even then the plan is only a
 * guess: the start-up computes the build as always and adopts the remembered one only when it is exactly
 * that build (early-build.ts); anything else is stopped, whole tree, and the right build spawned.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode } from '../errors.js';
import { ensureOwnDir, readOwnFile, writeFileReplacing } from '../os/safe-fs.js';
import { helperCacheDir, trustedDir } from '../os/user-cache.js';
import { readRegularFileSync } from '../os/regular-file.js';

const FORMAT = 1;
const PLAN_DIR = 'first-builds';
const PLAN_MODE = 0o600;
/** Plans kept (one per directory and flags): the oldest beyond this are removed when one is written. */
const PLANS_KEPT = 64;

export interface FirstBuildPlan {
  root: string;
  /** The root as given (the directory, --root or the config's root): it must still resolve to `root`. */
  rootAs: string;
  output: string;
  file: string;
  args: string[];
  /** The config's build.env (laid over the environment found at the spawn). */
  buildEnv: Record<string, string>;
  /** The files the settings were read from (the config file, or where it would be): content or absence. */
  inputs: string[];
}

interface StoredPlan extends FirstBuildPlan {
  format: number;
  key: string;
}

export interface PlanPlace {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The plan remembered for this directory and these flags, when it still applies; else why not (or undefined: none kept). */
export function readPlan(at: PlanPlace): { plan: FirstBuildPlan; from: 'kept' } | { miss: string } | undefined {
  const dir = planDir(at.env, false);
  if ('why' in dir) return { miss: `the cache directory ${dir.why}` };
  const file = path.join(dir.dir, planName(at));
  let text: Buffer | undefined;
  try {
    text = readOwnFile(file);
  } catch (e) {
    return { miss: (e as Error).message };
  }
  if (text === undefined) return undefined;
  let stored: StoredPlan;
  try {
    stored = JSON.parse(text.toString('utf8')) as StoredPlan;
  } catch {
    return { miss: `${file} is not a plan (not JSON)` };
  }
  if (stored.format !== FORMAT || !validPlan(stored)) return { miss: `${file} is not a plan of this hotwatch` };
  const { format: _f, key, ...plan } = stored;
  const odd = plan.inputs.find((p) => !regularOrAbsent(p));
  if (odd !== undefined) return { miss: `${odd} is not a regular file (a pipe is read once: only the start-up reads it)` };
  if (key !== planKey(at, plan)) return { miss: 'hotwatch, the flags or the config changed since it was made' };
  if (realpathOr(plan.rootAs) !== plan.root) return { miss: `${plan.rootAs} no longer resolves to ${plan.root}` };
  touch(file); // the plans used stay, the oldest unused ones go (pruneOldest)
  return { plan, from: 'kept' };
}

/** Keeps `plan` for the next run with the same flags here. Throws when it cannot be written (said by the caller). */
export function writePlan(at: PlanPlace, plan: FirstBuildPlan): void {
  const odd = plan.inputs.find((p) => !regularOrAbsent(p));
  if (odd !== undefined) throw new Error(`${odd} is not a regular file: its content cannot be checked without reading it away`);
  const dir = planDir(at.env, true);
  if ('why' in dir) throw new Error(`the cache directory ${dir.why}`);
  const stored: StoredPlan = { format: FORMAT, key: planKey(at, plan), ...plan };
  writeFileReplacing(dir.dir, planName(at), JSON.stringify(stored), PLAN_MODE);
  pruneOldest(dir.dir);
}

function planDir(env: NodeJS.ProcessEnv, create: boolean): { dir: string } | { why: string } {
  const cache = helperCacheDir(env);
  if (!create && !fs.existsSync(path.join(cache, PLAN_DIR))) return { dir: path.join(cache, PLAN_DIR) }; // nothing kept yet: a miss, not a fault
  const trusted = trustedDir(cache);
  if ('why' in trusted) return { why: `${cache} ${trusted.why}` };
  const dir = path.join(trusted.dir, PLAN_DIR);
  try {
    ensureOwnDir(dir, 0o700);
  } catch (e) {
    return { why: `${dir} cannot be used (${(e as Error).message})` };
  }
  return { dir };
}

const sha256 = (data: string | Buffer): string => crypto.createHash('sha256').update(data).digest('hex');

/** One plan per directory, flags and build of hotwatch (two installs used in turn keep one each). */
function planName(at: PlanPlace): string {
  return `${sha256(JSON.stringify([codeStamp(), at.cwd, at.argv])).slice(0, 32)}.json`;
}

/** A regular file (stat: no content read), or nothing there. A pipe, /dev/stdin or a device is neither. */
function regularOrAbsent(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch (e) {
    return errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR';
  }
}

function realpathOr(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // only the pruning's order: the plan was read
  }
}

/** A hash of everything the plan was derived from, and of the plan itself. */
function planKey(at: PlanPlace, plan: FirstBuildPlan): string {
  const inputs = plan.inputs.map((p) => [p, contentOf(p)]);
  return sha256(JSON.stringify([FORMAT, codeStamp(), at.cwd, at.argv, inputs, plan]));
}

function contentOf(file: string): string | null {
  try {
    return sha256(readRegularFileSync(file));
  } catch (e) {
    return errnoCode(e) === 'ENOENT' ? null : `unreadable: ${errnoCode(e) ?? String(e)}`;
  }
}

/** Set by scripts/bundle.mjs, one value per build of hotwatch (a rebuilt checkout has new code under the same version). */
declare const HOTWATCH_BUILD_ID: string | undefined;

/** This build of hotwatch (unbundled, as the tests import it: this file's own path and time). */
function codeStamp(): string {
  if (typeof HOTWATCH_BUILD_ID === 'string') return HOTWATCH_BUILD_ID;
  const here = fileURLToPath(import.meta.url);
  return `${here} ${fs.statSync(here).mtimeMs}`;
}

function validPlan(p: Partial<StoredPlan>): boolean {
  const str = (v: unknown): v is string => typeof v === 'string';
  return (
    str(p.key) &&
    str(p.root) &&
    path.isAbsolute(p.root) &&
    str(p.rootAs) &&
    path.isAbsolute(p.rootAs) &&
    str(p.output) &&
    str(p.file) &&
    Array.isArray(p.args) &&
    p.args.every(str) &&
    Array.isArray(p.inputs) &&
    p.inputs.every(str) &&
    typeof p.buildEnv === 'object' &&
    p.buildEnv !== null &&
    Object.values(p.buildEnv).every(str)
  );
}

function pruneOldest(dir: string): void {
  const plans = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (plans.length <= PLANS_KEPT) return;
  const byAge = plans
    .map((n) => ({ n, at: fs.lstatSync(path.join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => a.at - b.at);
  for (const { n } of byAge.slice(0, plans.length - PLANS_KEPT)) fs.rmSync(path.join(dir, n), { force: true });
}
