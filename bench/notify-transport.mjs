#!/usr/bin/env node
/**
 * How hotwatch's sd_notify datagrams get out of Node 20 (which has no AF_UNIX datagram socket): measures the
 * Go helper (hotwatch-service notify, the transport in use) and, when an evaluation install of the
 * `unix-dgram` addon is given, that addon, against the same python3 SO_PASSCRED receiver.
 *   node bench/notify-transport.mjs [--unix-dgram /tmp/eval/node_modules/unix-dgram] [--rounds 500]
 * Needs `npm run build` (imports dist/). Prints JSON.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { HelperTransport } from '../dist/service/notify-transport.js';
import { serviceHelper, serviceHelperSourceDir } from '../dist/service/helper-binary.js';

const { values } = parseArgs({ options: { 'unix-dgram': { type: 'string' }, rounds: { type: 'string', default: '500' } } });
const rounds = Number(values.rounds);
const RECEIVER = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print('ready', flush=True)
while True:
    m = s.recv(4096)
    print(time.monotonic_ns() // 1000, m.decode(), flush=True)
`;

function receiver(name) {
  const p = spawn('python3', ['-c', RECEIVER, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const got = new Map();
  let ready;
  const isReady = new Promise((r) => (ready = r));
  let partial = '';
  p.stdout.on('data', (d) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const l of lines) {
      if (l === 'ready') ready();
      else {
        const [at, msg] = l.split(' ');
        got.set(msg, Number(at));
      }
    }
  });
  return { p, got, isReady };
}

const usNow = () => Number(process.hrtime.bigint() / 1000n);
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const p99 = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length * 0.99)];

async function measure(name, send) {
  const r = receiver(name);
  await r.isReady;
  const lat = [];
  for (let i = 0; i < rounds; i++) {
    const msg = `STATUS=m${i}`;
    const t0 = usNow();
    await send(name, msg);
    while (!r.got.has(msg)) await new Promise((res) => setImmediate(res));
    lat.push(r.got.get(msg) - t0);
  }
  r.p.kill('SIGKILL');
  return { sendToReceiveUs: { median: median(lat), p99: p99(lat) } };
}

async function goHelper() {
  // Cold build into a fresh cache (the user's go build cache stays warm, as on a real first run).
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-bench-cache-'));
  const t = performance.now();
  const built = await serviceHelper({ ...process.env, HOTWATCH_CACHE_DIR: cache });
  const buildMs = performance.now() - t;
  const size = fs.statSync(built.path).size;
  let transport;
  const name = `@hotwatch-bench-${process.pid}`;
  transport = new HelperTransport(name, async () => built);
  const r = await measure(name, async (_n, msg) => {
    const res = await transport.send(msg);
    if (!res.ok) throw new Error(res.error);
  });
  const rss = rssKb(transport.senderPid);
  await transport.close();
  fs.rmSync(cache, { recursive: true, force: true });
  return {
    firstBuildMs: Math.round(buildMs),
    binaryBytes: size,
    helperRssKb: rss,
    ...r,
    goVersion: execFileSync('go', ['version']).toString().trim(),
  };
}

/** unix-dgram passes the address as a C string: an abstract "@name" (a leading NUL) never reaches its socket. */
async function abstractWorks(ud) {
  const name = `hotwatch-bench-abs-${process.pid}`;
  const r = receiver(`@${name}`);
  await r.isReady;
  const sock = ud.createSocket('unix_dgram');
  sock.on('error', () => {});
  try {
    await new Promise((res, rej) => sock.send(Buffer.from('X=1'), 0, 3, `\0${name}`, (e) => (e ? rej(e) : res())));
    return 'sent';
  } catch (e) {
    return `failed: ${e.message}`;
  } finally {
    sock.close();
    r.p.kill('SIGKILL');
  }
}

async function unixDgram(dir) {
  const before = process.memoryUsage().rss;
  const t = performance.now();
  const ud = createRequire(import.meta.url)(dir);
  const loadMs = performance.now() - t;
  const sock = ud.createSocket('unix_dgram');
  sock.on('error', () => {});
  const addr = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-bench-')), 'notify.sock');
  const r = await measure(
    addr,
    (name, msg) =>
      new Promise((res, rej) => {
        const buf = Buffer.from(msg);
        try {
          sock.send(buf, 0, buf.length, name, (err) => (err ? rej(err) : res()));
        } catch (e) {
          rej(e);
        }
      }),
  );
  sock.close();
  return {
    abstractAddress: await abstractWorks(ud),
    loadMs: Math.round(loadMs),
    nodeRssDeltaKb: Math.round((process.memoryUsage().rss - before) / 1024),
    ...r,
  };
}

const out = { rounds, node: process.version, source: serviceHelperSourceDir(), goHelper: await goHelper() };
if (values['unix-dgram']) out.unixDgram = await unixDgram(values['unix-dgram']);
console.log(JSON.stringify(out, null, 2));
