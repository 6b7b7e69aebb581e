/**
 * air's browser-reload proxy ([proxy]: enabled, proxy_port, app_port, app_start_timeout) → hotwatch's
 * proxy (proxy.enabled, proxy.port, proxy.appPort, proxy.readyTimeout), with a comment on each way it
 * behaves differently.
 */
import { ms, type Conv } from './conv.js';

const isPort = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;

export function convertProxy(c: Conv): void {
  const keys = ['proxy.enabled', 'proxy.proxy_port', 'proxy.app_port', 'proxy.app_start_timeout'];
  if (!c.get<boolean>('proxy.enabled')) {
    for (const k of keys) c.map(k, '(no effect in air: the proxy is off)');
    return;
  }
  c.set('proxy.enabled', true);
  c.map('proxy.enabled', 'proxy.enabled');
  c.note(
    'proxy',
    "air's [proxy]. Differences: during a restart hotwatch's proxy holds requests (up to proxy.holdTimeout) instead of failing them, shows build errors in the page, and listens on 127.0.0.1 only (proxy.address; air's listened on every interface).",
  );
  keepAirsRebuilds(c);
  mapProxyPort(c);
  mapAppPort(c);
  const timeout = c.get<number>('proxy.app_start_timeout');
  if (timeout === undefined) return;
  if (Number.isInteger(timeout) && timeout > 0) {
    c.set('proxy.readyTimeout', ms(timeout));
    c.map('proxy.app_start_timeout', 'proxy.readyTimeout');
  } else c.drop('proxy.app_start_timeout', `${timeout} is not a positive number of milliseconds`);
}

/**
 * air rebuilds and restarts for every file it watches. hotwatch's proxy, by default, only reloads the
 * pages for static files and restarts without a build for templates: an app that reads static/index.html
 * once at start would keep serving the old one. Emptied, the lists keep air's behaviour; the comment says
 * what they would give.
 */
function keepAirsRebuilds(c: Conv): void {
  c.set('proxy.reloadOnly', []);
  c.set('proxy.restartOnly', []);
  const why =
    'Empty, as air behaved: every watched file rebuilds and restarts. With the proxy, hotwatch can instead only reload the pages for static files (reloadOnly) and restart without a build for templates (restartOnly); remove both keys for its defaults, once the app reads those files at each request, not once at start.';
  c.note('proxy.reloadOnly', why);
}

function mapProxyPort(c: Conv): void {
  const port = c.get<number>('proxy.proxy_port');
  if (port === undefined) return;
  if (!isPort(port)) return c.drop('proxy.proxy_port', `${port} is not a port (1-65535)`);
  if (port === c.get<number>('proxy.app_port'))
    return c.drop('proxy.proxy_port', `${port} is app_port too: the proxy and the app cannot listen on the same port`);
  c.set('proxy.port', port);
  c.map('proxy.proxy_port', 'proxy.port');
}

function mapAppPort(c: Conv): void {
  const port = c.get<number>('proxy.app_port');
  if (port === undefined) return;
  if (!isPort(port)) return c.drop('proxy.app_port', `${port} is not a port (1-65535)`);
  c.set('proxy.appPort', port);
  c.note('proxy.appPort', `air's app_port: the app listens on ${port} (hotwatch also says so in $PORT).`);
  // Two versions cannot listen on one fixed port: the new one starts once the old one has stopped, as in air.
  c.set('proxy.proveNewVersion', false);
  c.note(
    'proxy.proveNewVersion',
    'false for the fixed appPort: each new version starts once the old one has stopped (requests wait meanwhile, as in air). To have it start beside the old one and take over only once ready, make the app listen on $PORT, remove appPort and this key.',
  );
  c.map('proxy.app_port', 'proxy.appPort (with proxy.proveNewVersion: false)');
}
