/**
 * Everything the benchmark starts or creates is registered here and released on every way out:
 * normal end, an error, Ctrl-C. Temp dirs live in os.tmpdir(), never in the repo
 * (HOTWATCH_KEEP_TMP=1 keeps them for debugging).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dirs = new Set();
const stoppers = new Set();

export function makeTmpDir(prefix) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `hotwatch-bench-${prefix}-`)));
  dirs.add(dir);
  return dir;
}

export function removeTmpDir(dir) {
  dirs.delete(dir);
  if (process.env.HOTWATCH_KEEP_TMP === '1') {
    process.stderr.write(`bench: kept temp dir ${dir}\n`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Register a synchronous "kill it now" for a started process; returns the unregister function. */
export function onCleanup(killNow) {
  stoppers.add(killNow);
  return () => stoppers.delete(killNow);
}

/** Kill every registered process, remove every temp dir. Synchronous: safe in 'exit' handlers. */
export function cleanupAll() {
  for (const kill of [...stoppers]) {
    try {
      kill();
    } catch (e) {
      process.stderr.write(`bench: cleanup of a process failed: ${e}\n`);
    }
    stoppers.delete(kill);
  }
  for (const dir of [...dirs]) {
    try {
      removeTmpDir(dir);
    } catch (e) {
      process.stderr.write(`bench: could not remove ${dir}: ${e} (remove it by hand)\n`);
    }
  }
}

let installed = false;
/** Clean up on exit and on SIGINT/SIGTERM (then exit 130/143). */
export function installCleanupHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupAll);
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ]) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping every started process and removing temp dirs\n`);
      cleanupAll();
      process.exit(code);
    });
  }
}
