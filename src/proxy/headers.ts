/**
 * Headers across the proxy, as flat [name, value, ...] lists (the form of rawHeaders), so repeated
 * headers (Set-Cookie) and their order survive. Hop-by-hop headers describe one connection and are
 * never forwarded (RFC 9110 §7.6.1): Node writes its own framing on each side.
 */
import type { IncomingMessage } from 'node:http';

export type RawHeaders = string[];

// Trailer stays: it announces the trailers the proxy forwards after the body.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade']);

/** Codings the proxy can undo to inject into a page; a page in another coding would pass untouched. */
const DECODABLE = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);

/** Names listed in Connection are hop-by-hop too. */
function connectionTokens(raw: RawHeaders): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1]!.split(',')) if (t.trim()) names.add(t.trim().toLowerCase());
  }
  return names;
}

/** `raw` without the entries for which `drop(lowercase name)` is true. */
export function without(raw: RawHeaders, drop: (name: string) => boolean): RawHeaders {
  const out: RawHeaders = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!drop(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** The first value of `name` (case-insensitive), or undefined. */
export function headerValue(raw: RawHeaders, name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/** Every value of `name`, in order. */
export function headerValues(raw: RawHeaders, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

function stripHopByHop(raw: RawHeaders, keep: ReadonlySet<string> = new Set()): RawHeaders {
  const listed = connectionTokens(raw);
  return without(raw, (n) => !keep.has(n) && (HOP_BY_HOP.has(n) || listed.has(n)));
}

/** Accept-Encoding narrowed to the codings the proxy can decode (so an HTML page can still get the script). */
function decodableEncodings(value: string): string {
  const kept = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => DECODABLE.has(t.split(';')[0]!.trim().toLowerCase()));
  return kept.length > 0 ? kept.join(', ') : 'identity';
}

/**
 * The headers sent to the app: the client's, minus hop-by-hop ones and Expect (Node already answered
 * 100 Continue to the client), plus X-Forwarded-*. Host is kept, so the app builds links to the proxy.
 * An upgrade keeps its Connection and Upgrade headers: they are the request.
 */
export function upstreamRequestHeaders(req: IncomingMessage, opts: { upgrade: boolean }): RawHeaders {
  const keep = opts.upgrade ? new Set(['connection', 'upgrade']) : undefined;
  const raw = without(stripHopByHop(req.rawHeaders, keep), (n) => n === 'expect' || n.startsWith('x-forwarded-'));
  const out: RawHeaders = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    out.push(name, name.toLowerCase() === 'accept-encoding' ? decodableEncodings(raw[i + 1]!) : raw[i + 1]!);
  }
  const prior = headerValue(req.rawHeaders, 'x-forwarded-for');
  const client = req.socket.remoteAddress ?? '';
  out.push('X-Forwarded-For', prior ? `${prior}, ${client}` : client);
  out.push('X-Forwarded-Host', headerValue(req.rawHeaders, 'x-forwarded-host') ?? req.headers.host ?? '');
  out.push('X-Forwarded-Proto', headerValue(req.rawHeaders, 'x-forwarded-proto') ?? 'http');
  return out;
}

/**
 * The app's response headers for the client, minus hop-by-hop ones. `req`: the client's request, when the
 * response answers one: a redirect to the app's own address (an app that builds absolute URLs from $PORT, a
 * login's BASE_URL) would take the browser out of the proxy, to a port that changes at every restart (a
 * dead tab after the next save); Location, Content-Location and Refresh naming it point at the address the
 * client used instead (nginx's `proxy_redirect default`).
 */
export function clientResponseHeaders(upstream: IncomingMessage, req?: IncomingMessage): RawHeaders {
  const raw = stripHopByHop(upstream.rawHeaders);
  const app = upstream.socket?.remotePort;
  const host = req?.headers.host;
  if (app === undefined || host === undefined) return raw;
  const proto = headerValue(req!.rawHeaders, 'x-forwarded-proto') ?? 'http';
  const ownOrigin = new RegExp(`^https?://(?:127\\.0\\.0\\.1|localhost|0\\.0\\.0\\.0|\\[::1\\]|\\[::\\]):${app}(?=[/?#]|$)`, 'i');
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'location' || name === 'content-location') raw[i + 1] = raw[i + 1]!.replace(ownOrigin, `${proto}://${host}`);
    else if (name === 'refresh')
      raw[i + 1] = raw[i + 1]!.replace(/(url=)(\S+)/i, (_m, k: string, u: string) => k + u.replace(ownOrigin, `${proto}://${host}`));
  }
  return raw;
}
