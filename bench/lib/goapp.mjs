/**
 * The measured app: a tiny Go HTTP module answering "v=<version>" on 127.0.0.1:$PORT, and an HTTP
 * poller that fetches on a fresh connection every ~2 ms until the expected answer arrives.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { sleep } from './wait.mjs';

export function goMain(version) {
  return `package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

const version = "${version}"

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", version) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
}

export function writeGoApp(dir, version) {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/bench\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), goMain(version));
}

/** One editor-like save of main.go with a new version const (one write of the whole file). */
export function saveVersion(dir, version) {
  fs.writeFileSync(path.join(dir, 'main.go'), goMain(version));
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET / on a fresh connection; resolves with the body, or undefined when nothing answers in time. */
export function httpGet(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Polls every `intervalMs` until the body is `v=<version>`; resolves with performance.now() of the
 * answer. Rejects after `timeoutMs`, when `isDead()` says the process serving it is gone, or when
 * `signal` is aborted.
 */
export async function pollUntilServes(port, version, { intervalMs = 2, timeoutMs = 60_000, isDead = () => undefined, signal } = {}) {
  const want = `v=${version}`;
  const deadline = performance.now() + timeoutMs;
  let last;
  for (;;) {
    signal?.throwIfAborted();
    last = await httpGet(port);
    if (last === want) return performance.now();
    const dead = isDead();
    if (dead) throw new Error(`waiting for ${want} on port ${port}: ${dead}`);
    if (performance.now() > deadline) throw new Error(`no ${want} on port ${port} within ${timeoutMs} ms (last answer: ${last ?? 'none'})`);
    await sleep(intervalMs);
  }
}
