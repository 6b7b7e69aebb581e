/**
 * Finds, or builds once, hotwatch-service (src/service/helper/main.go): the small Go program that sends
 * systemd's notify datagrams (Node 20 has no AF_UNIX datagram socket) and reaps orphans when hotwatch would
 * be PID 1. Built and checked exactly like hotwatch-inotify (src/os/go-helper.ts): the same trusted cache,
 * nothing found there run on trust. Anything in the way is a reason, never an exception: the caller says
 * it and carries on without.
 * Run as a script (`node dist/service/helper-binary.js`), it builds the helper ahead of time.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findSourceDir, goHelper, type HelperBinary } from '../os/go-helper.js';

export type ServiceHelper = HelperBinary;

/** The Go source, wherever this module runs (src/, dist/ or the bundle). */
export function serviceHelperSourceDir(): string {
  return findSourceDir(import.meta.url, path.join('src', 'service', 'helper'));
}

const SERVICE_HELPER = { name: 'hotwatch-service', label: 'the service helper', sourceDir: serviceHelperSourceDir };

/** The helper's path, built if needed, or why there is none. One build per process and cache directory. */
export function serviceHelper(env: NodeJS.ProcessEnv = process.env): Promise<ServiceHelper> {
  return goHelper(SERVICE_HELPER, env);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await serviceHelper();
  process.stdout.write('path' in r ? `service helper: ${r.path}\n` : `service helper unavailable: ${r.unavailable}\n`);
}
