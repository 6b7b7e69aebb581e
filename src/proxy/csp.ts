/**
 * Content-Security-Policy and the reload script. The script is one inline <script> that opens an
 * EventSource (or fetches) to the proxy's own origin: a policy can block it through script-src-elem /
 * script-src / default-src, and its connection through connect-src / default-src. In 'nonce' mode the
 * proxy adds a fresh nonce where scripts are governed and 'self' where connections are; nothing else in
 * the policy changes, so the page's own scripts are held to exactly the rules they had.
 * A header may carry several policies separated by commas; each is enforced on its own, so each is
 * fixed on its own.
 */

interface Directive {
  name: string;
  sources: string[];
}

const SCRIPT_CHAIN = ['script-src-elem', 'script-src', 'default-src'];
const CONNECT_CHAIN = ['connect-src', 'default-src'];

function parsePolicy(text: string): Directive[] {
  const out: Directive[] = [];
  for (const part of text.split(';')) {
    const tokens = part.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    out.push({ name: tokens[0]!.toLowerCase(), sources: tokens.slice(1) });
  }
  return out;
}

function serialize(dirs: Directive[]): string {
  return dirs.map((d) => [d.name, ...d.sources].join(' ')).join('; ');
}

/** The directive that governs, following the fallback chain; the first of a duplicated name wins (as in browsers). */
function governing(dirs: Directive[], chain: string[]): Directive | undefined {
  for (const name of chain) {
    const d = dirs.find((x) => x.name === name);
    if (d) return d;
  }
  return undefined;
}

const has = (d: Directive, keyword: string): boolean => d.sources.some((s) => s.toLowerCase() === keyword);

/** 'unsafe-inline' counts only when no nonce, hash or 'strict-dynamic' sits beside it (CSP level 2+). */
function allowsInlineScript(d: Directive): boolean {
  const cancels = d.sources.some((s) => /^'(nonce-|sha256-|sha384-|sha512-|strict-dynamic')/i.test(s));
  return has(d, "'unsafe-inline'") && !cancels;
}

function allowsSelfConnect(d: Directive): boolean {
  return has(d, "'self'") || has(d, '*');
}

/** 'none' must stand alone in a source list: adding a source means dropping it. */
function withSource(sources: string[], source: string): string[] {
  return [...sources.filter((s) => s.toLowerCase() !== "'none'"), source];
}

/** One policy, made to admit the reload script with `nonce`; `changed` false when it already did. */
function admitInPolicy(text: string, nonce: string): { text: string; changed: boolean } {
  const dirs = parsePolicy(text);
  let changed = false;
  // Taken before the script's nonce is added: default-src may govern both.
  const connect = governing(dirs, CONNECT_CHAIN);
  const connectSources = connect ? [...connect.sources] : [];
  const script = governing(dirs, SCRIPT_CHAIN);
  if (script && !allowsInlineScript(script)) {
    script.sources = withSource(script.sources, `'nonce-${nonce}'`);
    changed = true;
  }
  if (connect && !allowsSelfConnect(connect)) {
    if (connect.name === 'connect-src') connect.sources = withSource(connect.sources, "'self'");
    // Only default-src governs: widening it would widen images, frames, fonts... too. A connect-src of
    // its own (what default-src allowed, plus 'self') widens connections only.
    else dirs.push({ name: 'connect-src', sources: withSource(connectSources, "'self'") });
    changed = true;
  }
  return { text: changed ? serialize(dirs) : text, changed };
}

function splitPolicies(headerValue: string): string[] {
  return headerValue.split(',').filter((p) => p.trim() !== '');
}

/** A CSP header value rewritten so that the reload script (carrying `nonce`) runs and connects. */
export function admitReloadScript(headerValue: string, nonce: string): { value: string; changed: boolean } {
  let changed = false;
  const policies = splitPolicies(headerValue).map((p) => {
    const r = admitInPolicy(p, nonce);
    changed ||= r.changed;
    return r.changed ? r.text : p.trim();
  });
  return { value: changed ? policies.join(', ') : headerValue, changed };
}

/** True when some policy in the header value would block the reload script as it stands. */
export function blocksReloadScript(headerValue: string): boolean {
  return admitReloadScript(headerValue, 'x').changed;
}
