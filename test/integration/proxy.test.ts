/**
 * The proxy (src/proxy/) against real upstream servers on 127.0.0.1: what it carries (keep-alive,
 * streamed bodies both ways, chunked, SSE, WebSocket), what it changes (HTML pages get the reload
 * script; nothing else changes by a byte), and what it does while the app restarts, dies or fails
 * (held, switched, retried, answered with a 503 that names why). The load test at the end restarts a
 * real Go app 50 times under 20 concurrent clients.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProxy } from '../../src/proxy/proxy.js';
import type { ProxyHandle, ProxyOptions } from '../../src/proxy/types.js';
import { freePort, waitReady } from '../../src/proxy/app-port.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { request } from '../helpers/http-client.js';
import { binary, CSP_POLICY, pageHtml, startUpstream, type TestUpstream } from '../helpers/proxy-upstream.js';
import { openWebSocket } from '../helpers/websocket.js';
import { waitFor } from '../helpers/wait.js';
import { buildGoUpstream, startGoApp, type GoApp } from '../helpers/go-upstream.js';
import { makeTmpDir } from '../helpers/tmp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstream(name: string, port = 0): Promise<TestUpstream> {
  const u = await startUpstream(name, port);
  cleanups.push(() => u.kill());
  return u;
}

async function proxyFor(
  u: TestUpstream | undefined,
  opts: Partial<ProxyOptions> = {},
): Promise<{ proxy: ProxyHandle; port: number; logs: CapturedLog }> {
  const logs = captureLog();
  const proxy = await createProxy({ listen: { port: 0 }, log: logs.log, holdTimeoutMs: 10_000, ...opts });
  cleanups.push(() => proxy.close());
  if (u) proxy.ready({ host: '127.0.0.1', port: u.port });
  return { proxy, port: proxy.address.port, logs };
}

const at = (u: TestUpstream) => ({ host: '127.0.0.1', port: u.port });

/** Resolves with the first `data:` chunk of an SSE response stream. */
function sseReader(res: http.IncomingMessage) {
  const got: string[] = [];
  let ended = false;
  let errored: Error | undefined;
  res.setEncoding('utf8');
  let buf = '';
  res.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      for (const line of ev.split('\n')) if (line.startsWith('data: ')) got.push(line.slice(6));
    }
  });
  res.on('end', () => (ended = true));
  res.on('error', (e) => (errored = e));
  res.on('aborted', () => (errored = new Error('aborted')));
  return { got, ended: () => ended, errored: () => errored };
}

function openStream(port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers }, resolve);
    req.on('error', reject);
    cleanups.push(() => req.destroy());
  });
}

describe('what the proxy carries', () => {
  it('keeps connections alive on both sides', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    let opened = 0;
    const connect = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof connect>) => {
      opened++;
      return connect(...args);
    };
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await request(port, { agent }));
    expect(answers.map((r) => r.text)).toEqual(Array(5).fill('v=A'));
    // One connection from the client to the proxy, one from the proxy to the app, each reused.
    expect(opened).toBe(1);
    expect(new Set(answers.map((r) => r.headers['x-conn'])).size).toBe(1);
    expect(a.connections).toBe(1);
  });

  it('streams request and response bodies both ways', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const res = await new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent: false }, (r) => resolve({ req, res: r }));
      req.on('error', reject);
      req.flushHeaders();
      req.write('one;');
    });
    let echoed = '';
    res.res.setEncoding('utf8');
    res.res.on('data', (d: string) => (echoed += d));
    // Each piece comes back before the next is sent: nothing waits for the whole body.
    await waitFor(() => echoed === 'one;', { timeoutMs: 5_000, description: 'the first piece echoed' });
    res.req.write('two;');
    await waitFor(() => echoed === 'one;two;', { timeoutMs: 5_000, description: 'the second piece echoed' });
    res.req.end('three');
    await waitFor(() => res.res.complete && echoed === 'one;two;three', { timeoutMs: 5_000, description: 'the echo complete' });
  });

  it('relays a chunked response as it comes', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const res = await openStream(port, '/chunked');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    await waitFor(() => text === 'part1\n', { timeoutMs: 5_000, description: 'the first chunk before the app finished' });
    a.release();
    await waitFor(() => res.complete && text === 'part1\npart2 A\n', { timeoutMs: 5_000, description: 'the rest' });
  });

  it('carries server-sent events and a WebSocket while other requests run, and ends them when the old app stops', async () => {
    const a = await upstream('A');
    const b = await upstream('B');
    const { proxy, port } = await proxyFor(a);
    const sse = sseReader(await openStream(port, '/sse', { accept: 'text/event-stream' }));
    const ws = await openWebSocket(port, '/ws');
    await waitFor(() => sse.got.includes('A:open'), { timeoutMs: 5_000, description: 'the event stream opened' });
    for (let i = 0; i < 3; i++) {
      a.push(`tick${i}`);
      ws.send(`hello${i}`);
      const [other, echo] = await Promise.all([request(port, { path: '/' }), ws.next()]);
      expect(other.text).toBe('v=A');
      expect(echo).toBe(`A:hello${i}`);
      await waitFor(() => sse.got.includes(`A:tick${i}`), { timeoutMs: 5_000, description: `event tick${i}` });
    }
    // The switch: new requests go to B at once; the open stream and socket stay on A until A stops.
    proxy.ready(at(b));
    expect((await request(port)).text).toBe('v=B');
    ws.send('still');
    expect(await ws.next()).toBe('A:still');
    await a.stop();
    await waitFor(() => sse.ended(), { timeoutMs: 5_000, description: 'the event stream ended when A stopped' });
    expect(sse.errored()).toBeUndefined();
    const closed = await ws.closed;
    expect(closed).toEqual({ closeFrame: true, error: undefined });
    // A new WebSocket goes to B.
    const ws2 = await openWebSocket(port, '/ws');
    ws2.send('x');
    expect(await ws2.next()).toBe('B:x');
    // Closed by the client (close frame, then its FIN): the app's closing frame still comes back.
    ws2.close();
    expect(await ws2.closed).toEqual({ closeFrame: true, error: undefined });
  });

  it('passes non-HTML bodies byte for byte, compressed ones still compressed', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const bin = await request(port, { path: '/bin' });
    expect(bin.body.equals(binary())).toBe(true);
    expect(bin.headers['content-length']).toBe(String(binary().length));
    const json = await request(port, { path: '/json-gzip', headers: { 'accept-encoding': 'gzip' } });
    expect(json.headers['content-encoding']).toBe('gzip');
    expect(json.body.equals(zlib.gzipSync(JSON.stringify({ v: 'A' })))).toBe(true);
  });
});

const SCRIPT = /<script data-hotwatch(?: nonce="([^"]+)")?>[\s\S]*?<\/script>/;

describe('HTML pages get the reload script', () => {
  it('before </body>, with Content-Length fixed and validators dropped', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const r = await request(port, { path: '/page' });
    const m = SCRIPT.exec(r.text);
    expect(m).not.toBeNull();
    expect(r.text.replace(m![0], '')).toBe(pageHtml('A'));
    expect(r.text.indexOf(m![0])).toBe(pageHtml('A').lastIndexOf('</body>'));
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(r.headers.etag).toBeUndefined();
  });

  it.each(['gzip', 'br', 'deflate', 'deflate-raw'])('decoded from %s and sent uncompressed', async (coding) => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const r = await request(port, { path: `/page-${coding}`, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(r.headers['content-encoding']).toBeUndefined();
    const m = SCRIPT.exec(r.text);
    expect(m).not.toBeNull();
    expect(r.text.replace(m![0], '')).toBe(pageHtml('A'));
  });

  it('at the end of a page without </body>', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const r = await request(port, { path: '/page-nobody' });
    expect(r.text.startsWith('<p id="v">A</p><script data-hotwatch')).toBe(true);
    expect(r.text.endsWith('</script>')).toBe(true);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
  });

  it('with a nonce added to a strict Content-Security-Policy, the rest of the policy unchanged', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const r = await request(port, { path: '/page-csp' });
    const nonce = SCRIPT.exec(r.text)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
    expect(r.headers['content-security-policy']).toBe(
      `default-src 'none'; script-src 'nonce-app-nonce-1234' 'nonce-${nonce}'; style-src 'self'; connect-src 'self'`,
    );
    // A fresh nonce for every response.
    const again = await request(port, { path: '/page-csp' });
    expect(SCRIPT.exec(again.text)?.[1]).not.toBe(nonce);
  });

  it("csp: 'skip' leaves a protected page untouched and says so once", async () => {
    const a = await upstream('A');
    const { port, logs } = await proxyFor(a, { csp: 'skip' });
    for (let i = 0; i < 2; i++) {
      const r = await request(port, { path: '/page-csp' });
      expect(r.text).not.toMatch(SCRIPT);
      expect(r.headers['content-security-policy']).toBe(CSP_POLICY);
    }
    expect(logs.events('proxy.inject-skipped')).toHaveLength(1);
    expect(logs.events('proxy.inject-skipped')[0]).toMatchObject({ reason: 'csp', url: '/page-csp' });
    expect((await request(port, { path: '/page' })).text).toMatch(SCRIPT);
  });

  it('a page whose <meta> CSP blocks scripts gets a comment of the same length instead', async () => {
    const a = await upstream('A');
    const { port, logs } = await proxyFor(a);
    const r = await request(port, { path: '/page-meta-csp' });
    expect(r.text).not.toMatch(SCRIPT);
    expect(r.text).toContain('<!-- hotwatch: live reload not injected');
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(logs.events('proxy.inject-skipped')[0]).toMatchObject({ reason: 'meta-csp' });
  });

  it('HEAD gets the headers the GET gets, without a body', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const get = await request(port, { path: '/page' });
    const head = await request(port, { path: '/page', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
  });

  it('a streamed page reaches the client as it comes, the script at its end', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const res = await openStream(port, '/page-stream');
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    await waitFor(() => text.includes('<p>first</p>'), {
      timeoutMs: 5_000,
      description: 'the head of the page before the app finished it',
    });
    a.release();
    await waitFor(() => res.complete, { timeoutMs: 5_000, description: 'the page complete' });
    expect(text).toMatch(/<p>A<\/p><script data-hotwatch[\s\S]*<\/script><\/body><\/html>$/);
  });

  it('liveReload: false passes pages untouched', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a, { liveReload: false });
    const r = await request(port, { path: '/page' });
    expect(r.text).toBe(pageHtml('A'));
    expect(r.headers.etag).toBe('"abc"');
  });
});

/** Starts a request and reports whether it has completed, without waiting for it. */
function pending(port: number, opts: Parameters<typeof request>[1] = {}) {
  const state: { answer?: Awaited<ReturnType<typeof request>>; error?: Error } = {};
  const done = request(port, opts).then(
    (a) => (state.answer = a),
    (e: Error) => (state.error = e),
  );
  return { state, done };
}

describe('while the app restarts, dies or fails', () => {
  it('holds a request during a restart and sends it to the new app once ready', async () => {
    const a = await upstream('A');
    const { proxy, port, logs } = await proxyFor(a);
    proxy.restarting('build done, starting B');
    await a.stop();
    const held = pending(port);
    await waitFor(() => logs.events('proxy.held').length > 0, { timeoutMs: 5_000, description: 'the request held' });
    expect(held.state).toEqual({});
    const b = await upstream('B');
    proxy.ready(at(b));
    await held.done;
    expect(held.state.answer?.text).toBe('v=B');
    await waitFor(() => logs.events('proxy.released').length > 0, { timeoutMs: 5_000, description: 'the release logged' });
    expect(logs.events('proxy.released')[0]).toMatchObject({ held: 1 });
  });

  it('holds a WebSocket handshake too', async () => {
    const { proxy, port, logs } = await proxyFor(undefined);
    const ws = openWebSocket(port, '/ws');
    await waitFor(() => logs.events('proxy.held').length > 0, { timeoutMs: 5_000, description: 'the handshake held' });
    const b = await upstream('B');
    proxy.ready(at(b));
    const client = await ws;
    client.send('hi');
    expect(await client.next()).toBe('B:hi');
    client.close();
  });

  it('an app that died under a ready upstream: requests are held and sent again, bodies included', async () => {
    const a = await upstream('A');
    const { proxy, port, logs } = await proxyFor(a);
    expect((await request(port)).text).toBe('v=A');
    await a.kill();
    const get = pending(port);
    const post = pending(port, { method: 'POST', path: '/echo', body: 'the whole body' });
    await waitFor(() => logs.events('proxy.held').length > 0, { timeoutMs: 5_000, description: 'requests held' });
    // The new process on the same port, as a stop-then-start would bring it.
    const b = await upstream('B', a.port);
    proxy.ready(at(b));
    await Promise.all([get.done, post.done]);
    expect(get.state.answer?.text).toBe('v=B');
    expect(post.state.answer?.text).toBe('the whole body');
  });

  it('answers 503 naming the reason after the hold timeout: plain text, or an HTML page that reloads itself', async () => {
    const { proxy, port, logs } = await proxyFor(undefined, { holdTimeoutMs: 300 });
    proxy.restarting('building <main.go>');
    const plain = await request(port);
    expect(plain.status).toBe(503);
    expect(plain.headers['x-hotwatch-proxy']).toBe('timeout');
    expect(plain.headers['retry-after']).toBe('1');
    expect(plain.text).toMatch(/^hotwatch: the app is restarting \(building <main\.go>\)\n {2}waited 0\.\d s for the app/);
    expect(plain.ms).toBeGreaterThanOrEqual(290);
    const html = await request(port, { headers: { accept: 'text/html,*/*' } });
    expect(html.status).toBe(503);
    expect(html.text).toContain('the app is restarting (building &#60;main.go&#62;)');
    expect(html.text).toMatch(SCRIPT);
    expect(logs.events('proxy.timeout')[0]).toMatchObject({ level: 40, url: '/' });
    // Ready, but nothing accepts on its port (closed its listener, or exiting): said so, naming the address.
    const gone = await upstream('gone');
    const where = `127.0.0.1:${gone.port}`;
    await gone.kill();
    proxy.ready({ host: '127.0.0.1', port: gone.port });
    const refused = await request(port);
    expect(refused.status).toBe(503);
    expect(refused.text).toContain(
      `hotwatch: the app does not accept connections on ${where}: it no longer listens there, or it is exiting`,
    );
  });

  it('a failed build with nothing serving: 503 at once with the report, escaped', async () => {
    const { proxy, port } = await proxyFor(undefined, { holdTimeoutMs: 10_000 });
    proxy.restarting();
    proxy.failed({ title: 'build failed', lines: ['./main.go:12:3: undefined: <script>alert(1)</script>'] });
    const r = await request(port, { headers: { accept: 'text/html' } });
    expect(r.status).toBe(503);
    expect(r.ms).toBeLessThan(5_000);
    expect(r.headers['x-hotwatch-proxy']).toBe('failed');
    expect(r.text).toContain('./main.go:12:3: undefined: &#60;script&#62;alert(1)&#60;/script&#62;');
    expect(r.text).not.toContain('<script>alert(1)');
  });

  it('a failed build while the previous version serves: it keeps serving; once it dies, 503 at once', async () => {
    const a = await upstream('A');
    const { proxy, port } = await proxyFor(a, { holdTimeoutMs: 10_000 });
    proxy.failed({ title: 'build failed', lines: ['x.go:1:1: oops'] });
    expect((await request(port)).text).toBe('v=A');
    await a.kill();
    const r = await request(port);
    expect(r.status).toBe(503);
    expect(r.ms).toBeLessThan(5_000);
    expect(r.text).toBe('hotwatch: build failed\n  x.go:1:1: oops\n');
  });

  it('blue-green: requests switch to the new app at once, in-flight ones finish on the old', async () => {
    const a = await upstream('A');
    const { proxy, port } = await proxyFor(a);
    const slow = await openStream(port, '/chunked');
    let text = '';
    slow.setEncoding('utf8');
    slow.on('data', (d: string) => (text += d));
    await waitFor(() => text === 'part1\n', { timeoutMs: 5_000, description: 'the in-flight response started' });
    const b = await upstream('B');
    proxy.ready(at(b));
    expect((await request(port)).text).toBe('v=B');
    a.release();
    await waitFor(() => slow.complete, { timeoutMs: 5_000, description: 'the in-flight response finished' });
    expect(text).toBe('part1\npart2 A\n');
  });
});

describe('what the app answers is never sent again', () => {
  it('a live app that hangs up without answering (a panic in a handler): one 502 at once, naming it; the handler ran once', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    expect((await request(port)).text).toBe('v=A'); // a kept-alive connection to the app exists
    const before = a.requests;
    const t0 = performance.now();
    const r = await request(port, { path: '/hangup', headers: { accept: 'text/plain' } });
    expect(r.status).toBe(502);
    expect(r.text).toContain('the app closed the connection without answering');
    expect(performance.now() - t0, 'answered at once, not after the hold timeout').toBeLessThan(5_000);
    // On the kept-alive connection it may be sent once more on a fresh one (the app may have closed it as it crossed); never more.
    expect(a.requests - before).toBeLessThanOrEqual(2);
    expect((await request(port)).text).toBe('v=A');
  });

  it("response and request heads over 16 KB pass, as they do without the proxy (up to Go's 1 MB)", async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const before = a.requests;
    const big = await request(port, { path: '/big-header' });
    expect(big.status).toBe(200);
    expect(String(big.headers['set-cookie'])).toHaveLength('session='.length + 20_000);
    expect(a.requests - before).toBe(1);
    const sent = await request(port, { path: '/request-headers', headers: { cookie: `c=${'y'.repeat(30_000)}` } });
    expect(sent.status).toBe(200);
    expect(Number(sent.text)).toBeGreaterThan(30_000);
  });
});

describe('a page whose body is not what its Content-Encoding says', () => {
  it('is said at warn, naming the request and the header (it used to be an empty reply, said nowhere)', async () => {
    const a = await upstream('A');
    const { port, logs } = await proxyFor(a);
    await request(port, { path: '/page-bad-gzip' }).catch(() => undefined); // cut short: the client may see an error
    await waitFor(() => logs.events('proxy.undecodable-page').length > 0, {
      timeoutMs: 5_000,
      description: 'the undecodable page is said',
    });
    const [said] = logs.events('proxy.undecodable-page');
    expect(said).toMatchObject({ level: 40, url: '/page-bad-gzip', coding: 'gzip' });
  });
});

describe("redirects to the app's own address", () => {
  it('point at the proxy (the port behind it changes at every restart); other addresses pass untouched', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const r = await request(port, { path: '/redirect-own' });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(`http://127.0.0.1:${port}/home?x=1`);
    expect(r.headers['content-location']).toBe(`http://127.0.0.1:${port}/login`);
    expect(r.headers.refresh).toBe(`0; url=http://127.0.0.1:${port}/r`);
    expect(r.headers['x-other']).toBe(`http://127.0.0.1:${a.port}/kept`);
    expect((await request(port, { path: '/redirect-away' })).headers.location).toBe('http://127.0.0.1:1/elsewhere');
  });
});

describe('the live-reload channel', () => {
  it('publishes reloads, failures and recovery on /__hotwatch/events, and answers while nothing is ready', async () => {
    const { proxy, port } = await proxyFor(undefined);
    const events = sseReader(await openStream(port, '/__hotwatch/events'));
    const states = () => events.got.map((g) => JSON.parse(g) as { seq: number; up: boolean; failure: { title: string } | null });
    await waitFor(() => states().length === 1, { timeoutMs: 5_000, description: 'the first state' });
    expect(states()[0]).toMatchObject({ seq: 0, up: false, failure: null });
    proxy.failed({ title: 'build failed', lines: ['a.go:1:1: x'] });
    proxy.ready({ host: '127.0.0.1', port: await freePort() });
    proxy.reload();
    await waitFor(() => states().length === 4, { timeoutMs: 5_000, description: 'three more states' });
    expect(states().slice(1)).toMatchObject([
      { seq: 0, up: false, failure: { title: 'build failed' } },
      { seq: 0, up: true, failure: null },
      { seq: 1, up: true, failure: null },
    ]);
    const state = await request(port, { path: '/__hotwatch/state' });
    expect(JSON.parse(state.text)).toMatchObject({ seq: 1, up: true });
  });
});

describe('freePort and waitReady', () => {
  it('waits for a TCP accept, or for the health path to answer 2xx, within the deadline', async () => {
    const port = await freePort();
    const signal = new AbortController().signal;
    const none = await waitReady({ host: '127.0.0.1', port, deadlineMs: 200, signal });
    expect(none).toMatchObject({ ready: false, lastError: expect.stringContaining('ECONNREFUSED') });
    let healthy = false;
    const server = http.createServer((_q, res) => res.writeHead(healthy ? 204 : 503).end());
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    expect(await waitReady({ host: '127.0.0.1', port, deadlineMs: 1_000, signal })).toMatchObject({ ready: true });
    const unhealthy = await waitReady({ host: '127.0.0.1', port, healthPath: '/healthz', deadlineMs: 200, signal });
    expect(unhealthy).toMatchObject({ ready: false, lastError: 'GET /healthz answered 503' });
    const later = waitReady({ host: '127.0.0.1', port, healthPath: '/healthz', deadlineMs: 5_000, signal });
    healthy = true;
    expect(await later).toMatchObject({ ready: true });
  });

  it('rejects with the reason when aborted', async () => {
    const ac = new AbortController();
    const w = waitReady({ host: '127.0.0.1', port: await freePort(), deadlineMs: 10_000, signal: ac.signal });
    ac.abort(new Error('the new app exited'));
    await expect(w).rejects.toThrow('the new app exited');
  });
});

interface LoadStats {
  served: number;
  failures: string[];
  /** POSTs the app had when it was killed (a crash): a 502, never sent twice (RFC 9110 §9.2.2). */
  postsCutByCrash: number;
  /** True while an app is being killed and replaced: a POST it had may fail then. */
  crashing: boolean;
  longestMs: number;
  byVersion: Map<string, number>;
}

/** `clients` loops of requests over keep-alive connections (every 4th a POST whose echo is checked). */
function startLoad(port: number, clients: number): { stats: LoadStats; stop: () => Promise<void> } {
  const stats: LoadStats = { served: 0, failures: [], postsCutByCrash: 0, crashing: false, longestMs: 0, byVersion: new Map() };
  let running = true;
  const one = async (c: number): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; running; i++) {
      const post = i % 4 === 3;
      const body = `client ${c} request ${i} `.repeat(40);
      try {
        const r = await request(port, post ? { method: 'POST', path: '/echo', body, agent } : { agent });
        const version = post ? String(r.headers['x-version']) : r.text.replace(/^v=/, '');
        const ok = r.status === 200 && (post ? r.text === body : /^v=\d+$/.test(r.text));
        if (
          !ok &&
          post &&
          stats.crashing &&
          r.status === 502 &&
          /the app broke the request|closed the connection without answering/.test(r.text)
        )
          stats.postsCutByCrash++;
        else if (!ok)
          stats.failures.push(`${post ? 'POST' : 'GET'}: ${r.status} ${r.body.length} bytes (sent ${body.length}) ${r.text.slice(0, 60)}`);
        stats.served++;
        stats.longestMs = Math.max(stats.longestMs, r.ms);
        stats.byVersion.set(version, (stats.byVersion.get(version) ?? 0) + 1);
      } catch (e) {
        stats.failures.push(`${post ? 'POST' : 'GET'}: ${(e as Error).message}`);
      }
    }
    agent.destroy();
  };
  const all = Promise.all(Array.from({ length: clients }, (_, c) => one(c)));
  return {
    stats,
    stop: async () => {
      running = false;
      await all;
    },
  };
}

describe('load: 20 clients while a real Go app restarts 50 times', () => {
  it('serves every request: blue-green switches, stop-then-start on one port, and crashes', { timeout: 120_000 }, async () => {
    const tmp = makeTmpDir('hotwatch-proxy-load-');
    cleanups.push(() => tmp.cleanup());
    const bin = buildGoUpstream(tmp.dir);
    const { proxy, port } = await proxyFor(undefined, { holdTimeoutMs: 10_000 });
    const signal = new AbortController().signal;
    const start = async (p: number, version: string): Promise<GoApp> => {
      const app = startGoApp(bin, p, version);
      cleanups.push(() => app.stop('SIGKILL'));
      const r = await waitReady({ host: '127.0.0.1', port: p, deadlineMs: 10_000, signal });
      if (!r.ready) throw new Error(`app ${version} not ready: ${r.lastError}`);
      return app;
    };
    let app = await start(await freePort(), '0');
    proxy.ready({ host: '127.0.0.1', port: app.port });
    const load = startLoad(port, 20);
    const t0 = performance.now();
    const modes = { 'blue-green': 0, 'same-port': 0, crash: 0 };
    for (let i = 1; i <= 50; i++) {
      const version = String(i);
      const mode = (['crash', 'blue-green', 'same-port'] as const)[i % 3]!;
      modes[mode]++;
      if (mode === 'blue-green') {
        // The supervisor's blue-green start: the new version proven on a fresh port, then the switch, then the
        // old one stopped once its requests in flight have ended (supervisor drainThenStop).
        const next = await start(await freePort(), version);
        proxy.ready({ host: '127.0.0.1', port: next.port });
        await proxy.drained(app.port, 5_000, 'all');
        await app.stop('SIGTERM');
        app = next;
      } else {
        // Stop-then-start on the same port (its POSTs in flight ended first); a crash is the same without the
        // supervisor's word first, and the POSTs the app had when it was killed fail (a 502, never a second send).
        if (mode === 'same-port') {
          proxy.restarting('test restart');
          await proxy.drained(app.port, 5_000, 'unsafe');
        } else load.stats.crashing = true;
        await app.stop(mode === 'crash' ? 'SIGKILL' : 'SIGTERM');
        app = await start(app.port, version);
        proxy.ready({ host: '127.0.0.1', port: app.port });
        load.stats.crashing = false;
      }
      await waitFor(() => (load.stats.byVersion.get(version) ?? 0) >= 200, {
        timeoutMs: 10_000,
        description: `200 answers from version ${version}`,
      });
    }
    await load.stop();
    const { served, failures, longestMs } = load.stats;
    process.stdout.write(
      `proxy load: ${served} requests in ${((performance.now() - t0) / 1000).toFixed(1)} s across 50 restarts ` +
        `(${modes['blue-green']} blue-green, ${modes['same-port']} same port, ${modes.crash} crashes), ${failures.length} failed, ${load.stats.postsCutByCrash} POSTs cut by a kill, longest ${longestMs.toFixed(1)} ms\n`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    // At most the POSTs in flight at each kill (20 clients, one in four a POST).
    expect(load.stats.postsCutByCrash).toBeLessThanOrEqual(modes.crash * 20);
    expect(served).toBeGreaterThanOrEqual(10_000);
    expect(longestMs).toBeLessThan(10_000);
    await app.stop('SIGTERM');
  });
});

describe('responses the app cuts, and the drain before a stop', () => {
  it('a response the app breaks mid-body is said at warn, naming it (a restart when the version was retired); a client leaving is not', async () => {
    const a = await upstream('A');
    const { proxy, port, logs } = await proxyFor(a);
    const readPart1 = async (): Promise<http.IncomingMessage> => {
      const res = await openStream(port, '/chunked');
      res.on('error', () => undefined);
      await new Promise<void>((r) => res.once('data', () => r()));
      return res;
    };
    // The client leaves: nothing to say.
    (await readPart1()).destroy();
    await sleep(200);
    expect(logs.events('proxy.response-cut')).toEqual([]);
    // The app breaks the connection while it still serves.
    await readPart1();
    await a.kill();
    await waitFor(() => logs.events('proxy.response-cut').length === 1, { timeoutMs: 5_000, description: 'the cut said' });
    expect(logs.events('proxy.response-cut')[0]).toMatchObject({
      level: 40,
      method: 'GET',
      url: '/chunked',
      restart: false,
      msg: expect.stringMatching(
        /^GET \/chunked: response cut after [\d.]+ s: the app at 127\.0\.0\.1:\d+ closed the connection mid-response/,
      ),
    });
    // A restart stops the version mid-response.
    const b = await upstream('B');
    proxy.ready(at(b));
    await readPart1();
    proxy.restarting('test restart');
    await b.kill();
    await waitFor(() => logs.events('proxy.response-cut').length === 2, { timeoutMs: 5_000, description: 'the second cut said' });
    expect(logs.events('proxy.response-cut')[1]).toMatchObject({
      restart: true,
      msg: expect.stringContaining('stopped mid-response by a restart'),
    });
  });

  it("drained: 'all' waits for a GET whose answer is under way, 'unsafe' does not", async () => {
    const a = await upstream('A');
    const { proxy, port } = await proxyFor(a);
    const slow = await openStream(port, '/chunked');
    let text = '';
    slow.setEncoding('utf8');
    slow.on('data', (d: string) => (text += d));
    await waitFor(() => text === 'part1\n', { timeoutMs: 5_000, description: 'the response started' });
    const b = await upstream('B');
    proxy.ready(at(b));
    expect(await proxy.drained(a.port, 100, 'unsafe')).toBe(0);
    expect(await proxy.drained(a.port, 100, 'all')).toBe(1);
    const whole = proxy.drained(a.port, 5_000, 'all');
    a.release();
    expect(await whole).toBe(0);
    await waitFor(() => slow.complete, { timeoutMs: 5_000, description: 'the response finished' });
    expect(text).toBe('part1\npart2 A\n');
  });
});

describe('clients that go away, and close()', () => {
  it('a client aborting an upload, a held request or a response leaves the proxy serving', async () => {
    const a = await upstream('A');
    const { proxy, port, logs } = await proxyFor(a);
    // Mid-upload: half the announced body, then the connection is gone.
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/echo',
        agent: false,
        headers: { 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('x'.repeat(10), () => setImmediate(() => req.destroy()));
      req.on('close', () => resolve());
    });
    // Mid-response: an event stream dropped by the client.
    const sse = await openStream(port, '/sse');
    await new Promise<void>((r) => sse.once('data', () => r()));
    sse.destroy();
    // While held.
    proxy.restarting('test');
    const gone = http.get({ host: '127.0.0.1', port, path: '/', agent: false });
    gone.on('error', () => undefined);
    await waitFor(() => logs.events('proxy.held').length > 0, { timeoutMs: 5_000, description: 'the request held' });
    gone.destroy();
    await waitFor(() => logs.events('proxy.released').length > 0, { timeoutMs: 5_000, description: 'the held request let go' });
    // Not "released": nobody was waiting for it any more.
    expect(logs.events('proxy.released')[0]).toMatchObject({
      held: 1,
      gone: 1,
      msg: expect.stringMatching(/^1 held request ended: the client left before the app was ready/),
    });
    proxy.ready(at(a));
    expect((await request(port)).text).toBe('v=A');
  });

  it('close() ends held requests and held WebSocket handshakes at once', async () => {
    const { proxy, port, logs } = await proxyFor(undefined, { holdTimeoutMs: 30_000 });
    const held = pending(port);
    const ws = openWebSocket(port, '/ws').catch((e: Error) => e);
    await waitFor(() => logs.events('proxy.held').length === 2, { timeoutMs: 5_000, description: 'the request and the handshake held' });
    const t0 = performance.now();
    await proxy.close();
    expect(performance.now() - t0).toBeLessThan(2_000);
    await held.done;
    expect(held.state.error).toBeInstanceOf(Error);
    expect(await ws).toBeInstanceOf(Error);
  });
});

describe('which responses get the script', () => {
  it('only documents: a fetch() of an HTML fragment (htmx, Sec-Fetch-Dest: empty) passes untouched', async () => {
    const a = await upstream('A');
    const { port } = await proxyFor(a);
    const fragment = await request(port, { path: '/page', headers: { 'sec-fetch-dest': 'empty' } });
    expect(fragment.text).toBe(pageHtml('A'));
    for (const dest of ['document', 'iframe']) {
      expect((await request(port, { path: '/page', headers: { 'sec-fetch-dest': dest } })).text).toMatch(SCRIPT);
    }
  });
});
