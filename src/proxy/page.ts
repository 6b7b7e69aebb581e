/**
 * How the app's response goes out: untouched, or, for an HTML page, decoded and carrying the reload
 * script, with the headers that describe the new body (Content-Length fixed, validators dropped, the
 * CSP admitting the script). HEAD gets the same headers as the GET would, without a body.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { reloadSnippet, type ClientConfig } from './client-script.js';
import { admitReloadScript, blocksReloadScript } from './csp.js';
import { decoderFor } from './decode.js';
import { clientResponseHeaders, headerValue, headerValues, type RawHeaders } from './headers.js';
import { HtmlInjector } from './inject.js';

export interface PagePlan {
  headers: RawHeaders;
  /** Applied in order between the app's body and the client; empty: the body passes byte for byte. */
  transforms: Transform[];
}

export interface PageOptions {
  liveReload: boolean;
  csp: 'nonce' | 'skip';
  /** Says why a page got no script, once per kind of reason. */
  skipped: (reason: 'csp' | 'meta-csp' | 'encoding', detail: string, url: string) => void;
}

/**
 * Headers that no longer describe the body once the script is in it: its length and encoding change,
 * and the script differs from response to response (nonce, reload number), so a validator would let a
 * browser revalidate a cached copy whose nonce the new policy no longer admits.
 */
const STALE_AFTER_INJECTION = new Set(['content-length', 'etag', 'last-modified', 'accept-ranges', 'content-md5', 'digest']);

function isHtmlPage(req: IncomingMessage, res: IncomingMessage, headers: RawHeaders): boolean {
  const status = res.statusCode ?? 0;
  if (status === 204 || status === 206 || status === 304 || status < 200) return false;
  if (/^\s*attachment/i.test(headerValue(headers, 'content-disposition') ?? '')) return false;
  const type = (headerValue(headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'text/html' && req.method !== 'OPTIONS' && isDocumentRequest(req);
}

/**
 * A page the browser navigates to, not an HTML fragment fetched by a script (htmx, fetch()): a script
 * added to a fragment would land inside the element it is swapped into. Browsers say which with
 * Sec-Fetch-Dest; a client that does not send it (curl, old browsers) gets the script.
 */
function isDocumentRequest(req: IncomingMessage): boolean {
  const dest = req.headers['sec-fetch-dest'];
  return dest === undefined || dest === 'document' || dest === 'iframe' || dest === 'frame';
}

/** `page` is the reload state the page is served with (taken when its request was sent). */
export function planResponse(req: IncomingMessage, res: IncomingMessage, page: ClientConfig, opts: PageOptions): PagePlan {
  const headers = clientResponseHeaders(res, req);
  const untouched = { headers, transforms: [] };
  if (!opts.liveReload || !isHtmlPage(req, res, headers)) return untouched;
  const url = req.url ?? '/';
  const encoding = headerValue(headers, 'content-encoding');
  const decoder = decoderFor(encoding);
  if (decoder === 'unsupported') {
    opts.skipped('encoding', `Content-Encoding ${encoding} (the proxy decodes gzip, deflate and br)`, url);
    return untouched;
  }
  const policies = headerValues(headers, 'content-security-policy');
  if (opts.csp === 'skip' && policies.some(blocksReloadScript)) {
    opts.skipped('csp', 'its Content-Security-Policy would block the script (csp: skip)', url);
    return untouched;
  }
  const nonce = opts.csp === 'nonce' ? randomBytes(16).toString('base64') : undefined;
  const snippet = reloadSnippet(page, nonce);
  const out: RawHeaders = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (STALE_AFTER_INJECTION.has(name) || (decoder && name === 'content-encoding')) continue;
    const isPolicy = name === 'content-security-policy' || name === 'content-security-policy-report-only';
    out.push(headers[i]!, isPolicy && nonce ? admitReloadScript(headers[i + 1]!, nonce).value : headers[i + 1]!);
  }
  const length = Number(headerValue(headers, 'content-length'));
  if (!decoder && Number.isInteger(length) && length >= 0) out.push('Content-Length', String(length + snippet.length));
  const injector = new HtmlInjector(snippet, () =>
    opts.skipped('meta-csp', 'its <meta> Content-Security-Policy would block the script', url),
  );
  return { headers: out, transforms: decoder ? [decoder, injector] : [injector] };
}
