/**
 * Reads a running hotwatch's status over `<root>/.hotwatch/control.sock` (for `hotwatch status`). Reaches
 * the socket through the opened `.hotwatch` directory like the server does: no symlink followed, no
 * 107-byte path limit.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { CONTROL_SOCKET, openStateDir } from './control-socket.js';
import type { StatusSnapshot } from './status.js';

export type StatusReply =
  | { kind: 'ok'; snapshot: StatusSnapshot }
  /** No hotwatch answers for this root; `why` says what was found instead. */
  | { kind: 'none'; why: string };

/** The nearest directory at or above `from` whose .hotwatch/ holds a control socket; undefined when none does. */
export function findRunningRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    try {
      if (fs.lstatSync(path.join(dir, '.hotwatch', CONTROL_SOCKET)).isSocket()) return dir;
    } catch {
      // not here
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function get(socketPath: string, urlPath: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function fetchStatus(root: string, timeoutMs = 3000): Promise<StatusReply> {
  const shown = path.join(root, '.hotwatch', CONTROL_SOCKET);
  let sd;
  try {
    sd = openStateDir(root, { create: false });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'none', why: `no hotwatch runs in ${root} (no .hotwatch/ there)` };
    return { kind: 'none', why: `cannot read ${path.join(root, '.hotwatch')}: ${(e as Error).message}` };
  }
  try {
    const { status, body } = await get(path.join(sd.base, CONTROL_SOCKET), '/status', timeoutMs);
    if (status !== 200) return { kind: 'none', why: `${shown} answered ${status}: ${body.slice(0, 200)}` };
    return { kind: 'ok', snapshot: JSON.parse(body) as StatusSnapshot };
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return { kind: 'none', why: `no hotwatch runs in ${root} (no ${shown})` };
    if (code === 'ECONNREFUSED') return { kind: 'none', why: `no hotwatch runs in ${root} (${shown} is left from one that ended: nothing answers)` };
    if (code === 'EACCES') return { kind: 'none', why: `cannot read the status at ${shown}: permission denied (the socket is private to the user running hotwatch)` };
    return { kind: 'none', why: `cannot read the status at ${shown}: ${(e as Error).message}` };
  } finally {
    sd.close();
  }
}
