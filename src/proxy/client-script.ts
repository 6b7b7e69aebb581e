/**
 * The script added to HTML pages, and the SharedWorker it may use. It listens to the proxy's state
 * ({boot, seq, up, failure}) and reloads the page when the proxy's seq passes the one the page was
 * served with (or hotwatch itself restarted: another boot id), and shows the failure overlay while there
 * is a failure. The proxy's own 503 page shows its failure in the page itself, and reloads when that
 * failure changes or an app serves again.
 *
 * One channel per browser, not per tab: browsers open at most 6 HTTP/1.1 connections to a host, and an
 * EventSource holds one for as long as the page is open, so 6 tabs would leave no connection for a page
 * load. In order of preference:
 *  1. Web Locks + BroadcastChannel: the tab holding the lock "__hotwatch_events" keeps the one EventSource
 *     and relays each state to the other tabs; when it closes, the lock passes to another tab. A tab the
 *     user brings to the front takes the lock over (steal), so a tab whose script is stopped (paused in
 *     the debugger, frozen in the background) never holds the only channel. Web Locks exist only in
 *     secure contexts (https, localhost, 127.0.0.1).
 *  2. A SharedWorker holding the EventSource (a page opened over plain http from another machine).
 *  3. Polling /__hotwatch/state each second: a short request that never holds a connection.
 * The overlay is built with DOM calls and CSSOM styles only (no markup, no <style>): nothing in it is
 * parsed as HTML, and style-src policies do not apply.
 */

export const BASE_PATH = '/__hotwatch/';

const CLIENT = String.raw`(function (cfg) {
  'use strict';
  if (window.__hotwatch) return;
  window.__hotwatch = cfg;
  var BASE = '${BASE_PATH}';
  var reloading = false;
  var host = null;

  // The proxy's 503 page shows its failure itself: it reloads to show another one, or the app.
  function stale(s) {
    if (s.boot !== cfg.boot || s.seq > cfg.seq) return true;
    return cfg.errorPage && ((s.up && !s.failure) || text(s.failure) !== text(cfg.failure));
  }

  function text(f) {
    return f ? f.title + '\n' + f.lines.join('\n') : '';
  }

  function apply(s) {
    if (reloading || !s || typeof s.seq !== 'number') return;
    if (stale(s)) {
      reloading = true;
      // The answer to a form post: reloading would post it again (and ask first); load the page instead.
      if (cfg.postResult) location.replace(location.pathname + location.search);
      else location.reload();
      return;
    }
    if (!cfg.errorPage) show(s.failure);
  }

  function el(tag, style, text) {
    var e = document.createElement(tag);
    for (var k in style) e.style[k] = style[k];
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(f) {
    if (!f) {
      if (host) host.remove();
      host = null;
      return;
    }
    if (!host) {
      host = document.createElement('div');
      host.id = '__hotwatch_overlay';
      host.attachShadow({ mode: 'open' });
    }
    var box = el('div', { position: 'fixed', top: '0', left: '0', right: '0', bottom: '0', zIndex: '2147483647',
      background: 'rgba(24,4,4,0.97)', color: '#ffd7d7', font: '14px/1.5 ui-monospace,Menlo,Consolas,monospace',
      padding: '24px 32px', overflow: 'auto', boxSizing: 'border-box', textAlign: 'left' });
    box.setAttribute('role', 'alert');
    box.appendChild(el('div', { color: '#fff', fontWeight: 'bold', fontSize: '16px', marginBottom: '12px' }, 'hotwatch: ' + f.title));
    box.appendChild(el('pre', { margin: '0', whiteSpace: 'pre-wrap', font: 'inherit' }, f.lines.join('\n')));
    box.appendChild(el('div', { marginTop: '16px', color: '#c9a0a0' }, 'This page reloads by itself once a build succeeds.'));
    host.shadowRoot.replaceChildren(box);
    if (!host.isConnected) (document.body || document.documentElement).appendChild(host);
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function viaLeader() {
    var channel = new BroadcastChannel('__hotwatch');
    var last = null;
    var source = null;
    var queued = null;
    channel.onmessage = function (e) {
      if (e.data === 'hello') { if (last) channel.postMessage(last); }
      else apply(e.data);
    };
    function lead(steal) {
      if (queued) queued.abort();
      var mine = steal ? null : new AbortController();
      queued = mine;
      navigator.locks.request('__hotwatch_events', steal ? { steal: true } : { signal: mine.signal }, function () {
        queued = null;
        source = new EventSource(BASE + 'events');
        source.onmessage = function (e) {
          last = parse(e.data);
          channel.postMessage(last);
          apply(last);
        };
        return new Promise(function () {});
      }).catch(function () {
        if (mine && mine.signal.aborted) return;
        if (source) source.close();
        source = null;
        lead(false);
      });
    }
    lead(false);
    channel.postMessage('hello');
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible' && !source) lead(true);
    });
  }

  function viaWorker() {
    var worker = new SharedWorker(BASE + 'worker.js', { name: '__hotwatch' });
    worker.port.onmessage = function (e) { apply(e.data); };
    worker.port.start();
    addEventListener('pagehide', function () { worker.port.postMessage('bye'); });
  }

  function viaPolling() {
    console.info('hotwatch: live reload polls ' + BASE + 'state (no Web Locks or SharedWorker in this page)');
    setInterval(function () {
      fetch(BASE + 'state', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(apply, function () {});
    }, 1000);
  }

  if (!cfg.errorPage) show(cfg.failure);
  if (window.navigator.locks && window.BroadcastChannel) return viaLeader();
  try {
    if (window.SharedWorker) return viaWorker();
  } catch (e) {
    // A CSP without room for workers, or Trusted Types: polling needs neither.
  }
  viaPolling();
})`;

/** The worker of option 2: one EventSource, its last state handed to every tab that connects. */
export const WORKER_SCRIPT = `'use strict';
var ports = [];
var last = null;
var source = new EventSource('${BASE_PATH}events');
source.onmessage = function (e) {
  try { last = JSON.parse(e.data); } catch (err) { return; }
  ports.forEach(function (p) { p.postMessage(last); });
};
onconnect = function (e) {
  var port = e.ports[0];
  ports.push(port);
  port.onmessage = function (m) { if (m.data === 'bye') ports = ports.filter(function (p) { return p !== port; }); };
  port.start();
  if (last) port.postMessage(last);
};
`;

export interface ClientConfig {
  boot: string;
  seq: number;
  failure: { title: string; lines: readonly string[] } | null;
  /** The proxy's own 503 page: reload as soon as an app serves. */
  errorPage?: boolean;
  /** The page answers a request other than GET (a form post): it is loaded again with a GET. */
  postResult?: boolean;
}

/** JSON safe inside a <script> element: no `</script>`, `<!--` or line separators can appear in it. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The <script> element added to a page. */
export function reloadSnippet(cfg: ClientConfig, nonce?: string): Buffer {
  const attr = nonce ? ` nonce="${nonce}"` : '';
  return Buffer.from(`<script data-hotwatch${attr}>${CLIENT}(${scriptSafeJson(cfg)});</script>`, 'utf8');
}
