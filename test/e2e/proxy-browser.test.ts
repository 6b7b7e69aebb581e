/**
 * The proxy's live reload in a real browser: Debian's chromium (/usr/bin/chromium, headless) driven by
 * playwright-core, against real upstream servers on 127.0.0.1. A page reloads by itself with the new
 * version's text; a failure shows as an overlay and goes away; more tabs than the browser's 6
 * connections per host still leave room for a page load (and a control shows that 6 event streams
 * do not); a page under a strict CSP still reloads. Screenshots of each state go to
 * test-artifacts/proxy/. And once through the real `hotwatch run --proxy-port`: an edit of the Go
 * source reloads the page, a broken build shows the compiler's error in the overlay, the fix removes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProxy } from '../../src/proxy/proxy.js';
import type { ProxyHandle } from '../../src/proxy/types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { captureLog } from '../helpers/log-capture.js';
import { startUpstream, type TestUpstream } from '../helpers/proxy-upstream.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts/proxy');
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: this test drives Debian's chromium (no browser download). Install it: sudo apt-get install chromium`,
    );
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstream(name: string): Promise<TestUpstream> {
  const u = await startUpstream(name);
  cleanups.push(() => u.kill());
  return u;
}

async function setup(first: TestUpstream | undefined) {
  const logs = captureLog();
  const proxy: ProxyHandle = await createProxy({ listen: { port: 0 }, log: logs.log, holdTimeoutMs: 10_000 });
  cleanups.push(() => proxy.close());
  if (first) proxy.ready({ host: '127.0.0.1', port: first.port });
  const base = `http://127.0.0.1:${proxy.address.port}`;
  const context = await browser.newContext({ viewport: { width: 900, height: 500 } });
  cleanups.push(() => context.close());
  const streams = async (): Promise<number> => ((await (await fetch(`${base}/__hotwatch/state`)).json()) as { streams: number }).streams;
  return { proxy, base, context, logs, streams };
}

const at = (u: TestUpstream) => ({ host: '127.0.0.1', port: u.port });
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

async function heading(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('#v')?.textContent === t, text, { timeout });
}

/** Opens `n` tabs of `url` in `context`, each loaded and its reload script running. */
async function openTabs(context: BrowserContext, n: number, url: string): Promise<Page[]> {
  const pages = await Promise.all(Array.from({ length: n }, () => context.newPage()));
  await Promise.all(pages.map((p) => p.goto(url)));
  await Promise.all(pages.map((p) => p.waitForFunction(() => (window as { __hotwatch?: unknown }).__hotwatch !== undefined)));
  return pages;
}

describe('live reload in chromium', () => {
  it('a page reloads by itself with the new version after reload()', async () => {
    const a = await upstream('version A');
    const { proxy, base, context } = await setup(a);
    const page = await context.newPage();
    await page.goto(`${base}/page`);
    await heading(page, 'version A');
    await shot(page, '1-before-reload');
    const b = await upstream('version B');
    proxy.ready(at(b));
    proxy.reload();
    await heading(page, 'version B');
    expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).type)).toBe('reload');
    await shot(page, '2-reloaded');
  });

  it('the answer to a form post is loaded again with a GET, not posted again', async () => {
    const a = await upstream('A');
    const { proxy, base, context } = await setup(a);
    const page = await context.newPage();
    await page.goto(`${base}/form`);
    await Promise.all([page.waitForNavigation(), page.click('#go')]);
    await heading(page, 'posted A');
    await page.waitForFunction(() => (window as { __hotwatch?: unknown }).__hotwatch !== undefined);
    const b = await upstream('B');
    proxy.ready(at(b));
    proxy.reload();
    await heading(page, 'form B');
  });

  it('failed() shows the errors as an overlay, escaped; ready() takes it away and reload() brings the new page', async () => {
    const a = await upstream('version A');
    const { proxy, base, context } = await setup(a);
    const page = await context.newPage();
    await page.goto(`${base}/page`);
    const lines = ['# example.com/app', './main.go:12:3: undefined: <b>greeting</b>', './main.go:14:1: syntax error: unexpected }'];
    proxy.failed({ title: 'build failed (exit status 1)', lines });
    const overlay = page.locator('#__hotwatch_overlay pre');
    await overlay.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await overlay.textContent()).toBe(lines.join('\n'));
    expect(await page.locator('#__hotwatch_overlay b').count()).toBe(0);
    await shot(page, '3-build-failed-overlay');
    const b = await upstream('version B');
    proxy.ready(at(b));
    await page.locator('#__hotwatch_overlay').waitFor({ state: 'detached', timeout: 10_000 });
    proxy.reload();
    await heading(page, 'version B');
    expect(await page.locator('#__hotwatch_overlay').count()).toBe(0);
    await shot(page, '4-fixed-reloaded');
  });

  it('with nothing serving, the 503 page carries the failure and reloads itself once an app is ready', async () => {
    const { proxy, base, context } = await setup(undefined);
    proxy.restarting();
    proxy.failed({
      title: 'the new version exited at start (exit status 2)',
      lines: ['panic: listen tcp 127.0.0.1:8080: bind: address already in use', 'main.main()', '\t/src/app/main.go:21 +0x1d4'],
    });
    const page = await context.newPage();
    const res = await page.goto(`${base}/page`);
    expect(res?.status()).toBe(503);
    expect(await page.locator('pre').textContent()).toContain('bind: address already in use');
    await page.waitForFunction(() => (window as { __hotwatch?: unknown }).__hotwatch !== undefined);
    await shot(page, '5-start-failed-503');
    // Another failure: the page reloads to show it.
    proxy.failed({ title: 'build failed (exit status 1)', lines: ['./main.go:3:1: expected declaration'] });
    await page.waitForFunction(() => document.querySelector('pre')?.textContent?.includes('expected declaration'), undefined, {
      timeout: 10_000,
    });
    const c = await upstream('version C');
    proxy.ready(at(c));
    await heading(page, 'version C');
  });

  it('a page under a strict Content-Security-Policy runs its own script and ours, and reloads', async () => {
    const a = await upstream('version A');
    const { proxy, base, context } = await setup(a);
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${base}/page-csp`);
    await page.waitForFunction(() => (window as { __hotwatch?: unknown }).__hotwatch !== undefined, undefined, { timeout: 10_000 });
    expect(await page.evaluate(() => document.body.dataset.app)).toBe('ran');
    const b = await upstream('version B');
    proxy.ready(at(b));
    proxy.reload();
    await heading(page, 'version B');
    expect(await page.evaluate(() => document.body.dataset.app)).toBe('ran');
    expect(violations).toEqual([]);
    await shot(page, '6-csp-reloaded');
  });
});

describe('a tab holding the channel whose script is stopped', () => {
  it('loses it to the tab the user brings to the front, which reloads at once', async () => {
    const a = await upstream('version A');
    const { proxy, base, context, streams } = await setup(a);
    const [leader] = await openTabs(context, 1, `${base}/page`);
    await waitFor(async () => (await streams()) === 1, { timeoutMs: 10_000, description: 'the first tab leads' });
    const [front] = await openTabs(context, 1, `${base}/page`);
    // The leading tab's script stops for 10 s, as when it is paused in the debugger (or frozen in the
    // background): it holds the lock but relays nothing.
    const stopped = leader!.evaluate(() => {
      setTimeout(() => {
        const end = Date.now() + 10_000;
        while (Date.now() < end);
      }, 0);
    });
    await stopped;
    await front!.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    const b = await upstream('version B');
    proxy.ready(at(b));
    // Whether the front tab's own stream opens before or after this, it learns of the reload (its first
    // state carries the new reload number).
    proxy.reload();
    await heading(front!, 'version B', 5_000);
    await heading(leader!, 'version B', 30_000);
  });
});

/** Hides Web Locks (as in a page served over plain http from another machine), and optionally SharedWorker. */
const HIDE_LOCKS = `Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });`;
const HIDE_WORKER = `Object.defineProperty(window, 'SharedWorker', { value: undefined, configurable: true });`;

describe('more tabs than the 6 connections per host', () => {
  it('control: 6 event streams (the shared one and 5 of a page of its own) leave no connection for a page load', async () => {
    const a = await upstream('version A');
    const { base, context, streams } = await setup(a);
    const [first] = await openTabs(context, 1, `${base}/page`);
    await first!.evaluate(() => {
      const w = window as { own?: EventSource[] };
      w.own = Array.from({ length: 5 }, () => new EventSource('/__hotwatch/events'));
    });
    await waitFor(async () => (await streams()) === 6, { timeoutMs: 10_000, description: '6 event streams open' });
    const stuck = await context.newPage();
    await expect(stuck.goto(`${base}/page`, { timeout: 4_000 })).rejects.toThrow(/Timeout/);
    await first!.evaluate(() => {
      for (const e of (window as { own?: EventSource[] }).own!) e.close();
    });
    await heading(stuck, 'version A');
  });

  for (const transport of [
    { name: 'Web Locks + BroadcastChannel', init: '', streams: 1 },
    { name: 'SharedWorker (no Web Locks)', init: HIDE_LOCKS, streams: 1 },
    { name: 'polling (neither)', init: HIDE_LOCKS + HIDE_WORKER, streams: 0 },
  ]) {
    it(`10 tabs through ${transport.name}: ${transport.streams} stream(s), a page load completes at once, every tab reloads`, async () => {
      const a = await upstream('version A');
      const { proxy, base, context, streams } = await setup(a);
      if (transport.init) await context.addInitScript(transport.init);
      const tabs = await openTabs(context, 10, `${base}/page`);
      if (transport.streams > 0)
        await waitFor(async () => (await streams()) === transport.streams, {
          timeoutMs: 10_000,
          description: `${transport.streams} event stream(s)`,
        });
      expect(await streams()).toBe(transport.streams);
      const extra = await context.newPage();
      const t0 = performance.now();
      await extra.goto(`${base}/page`, { timeout: 10_000 });
      const loadMs = performance.now() - t0;
      expect(loadMs).toBeLessThan(2_000);
      const b = await upstream('version B');
      proxy.ready(at(b));
      proxy.reload();
      for (const t of [...tabs, extra]) await heading(t, 'version B');
      if (transport.streams > 0)
        await waitFor(async () => (await streams()) === transport.streams, {
          timeoutMs: 10_000,
          description: 'one stream again after the reload',
        });
      if (transport.init === '') await shot(extra, '7-eleventh-tab-reloaded');
    });
  }
});

describe('through the real hotwatch run', () => {
  const goPage = (text: string, broken = false): string => `package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
\t\tw.Header().Set("Content-Type", "text/html; charset=utf-8")
\t\tfmt.Fprint(w, "<!doctype html><html><head><title>app</title></head><body><h1 id=v>${text}</h1></body></html>")
\t})
\t${broken ? 'undefinedName()' : ''}
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), goPage('version one'));
  });

  it('an edit reloads the page with the new text; a broken build shows the overlay; the fix takes it away', async () => {
    session.hw = startHotwatch(['--proxy-port', String(session.port)], { cwd: session.dir });
    const base = `http://127.0.0.1:${session.port}`;
    await waitFor(
      async () =>
        (
          await fetch(base).then(
            (r) => r.text(),
            () => '',
          )
        ).includes('version one'),
      {
        description: 'the proxy serves version one',
        timeoutMs: 60_000,
      },
    );
    const context = await browser.newContext({ viewport: { width: 900, height: 500 } });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    await page.goto(base);
    await page.waitForFunction(() => (window as { __hotwatch?: unknown }).__hotwatch !== undefined);
    await shot(page, 'run-1-version-one');
    await sleep(700); // not within 0.5 s of the app's start (a build loop's signature)
    fs.writeFileSync(path.join(session.dir, 'main.go'), goPage('version two'));
    await heading(page, 'version two', 60_000);
    await shot(page, 'run-2-version-two');
    fs.writeFileSync(path.join(session.dir, 'main.go'), goPage('version three', true));
    const overlay = page.locator('#__hotwatch_overlay pre');
    await overlay.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await overlay.textContent()).toMatch(/main\.go:\d+:\d+: undefined: undefinedName/);
    expect(await page.locator('#v').textContent()).toBe('version two');
    await shot(page, 'run-3-build-failed-overlay');
    fs.writeFileSync(path.join(session.dir, 'main.go'), goPage('version three'));
    await heading(page, 'version three', 60_000);
    await page.locator('#__hotwatch_overlay').waitFor({ state: 'detached', timeout: 10_000 });
    await shot(page, 'run-4-fixed');
  }, 180_000);
});
