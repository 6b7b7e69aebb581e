/**
 * The Go app of test/fixtures/go/upstream as a real process: built once per test file into a temp dir,
 * started on a given port with a version, stopped gracefully (SIGTERM, exit awaited) or killed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/go/upstream');

export function buildGoUpstream(outDir: string): string {
  const bin = path.join(outDir, 'upstream');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: SOURCE, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return bin;
}

export interface GoApp {
  port: number;
  version: string;
  proc: ChildProcess;
  /** SIGTERM (graceful) or SIGKILL (a crash); resolves once the process has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export function startGoApp(bin: string, port: number, version: string): GoApp {
  const proc = spawn(bin, [], { env: { ...process.env, PORT: String(port), VERSION: version }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = once(proc, 'exit');
  return {
    port,
    version,
    proc,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
      if (signal === 'SIGTERM' && proc.exitCode !== 0)
        throw new Error(`app ${version} exited with ${proc.exitCode ?? proc.signalCode}: ${stderr}`);
    },
  };
}
