/**
 * What the proxy answers itself when the app cannot: 503 when nothing is ready (held too long, or the
 * build failed and no previous version serves), 502 when the app broke a request that cannot be sent
 * again. A browser gets an HTML page (escaped, with the reload script, so it comes back by itself once
 * an app serves); anything else gets plain text. Both name the reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reloadSnippet } from './client-script.js';
import type { ReloadState } from './live-reload.js';
import type { FailureReport } from './types.js';

export interface ErrorAnswer {
  status: 502 | 503;
  /** One line: what happened. */
  title: string;
  /** Details: the compiler errors or last output (a failure), or what was tried. */
  lines: readonly string[];
  /** Machine-readable kind, in the X-Hotwatch-Proxy header (tests and scripts match on it). */
  kind: 'timeout' | 'failed' | 'upstream-error' | 'closing';
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function wantsHtml(req: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(req.headers.accept ?? '');
}

function htmlPage(a: ErrorAnswer, script: Buffer | undefined): string {
  const lines = a.lines.length > 0 ? `<pre>${escapeHtml(a.lines.join('\n'))}</pre>` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${a.status} · hotwatch</title></head>
<body style="font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;margin:32px;color:#222">
<h1 style="font-size:18px">hotwatch: ${escapeHtml(a.title)}</h1>
${lines}
<p style="color:#666">This page reloads by itself once the app serves again.</p>
${script ? script.toString('utf8') : ''}
</body></html>
`;
}

/**
 * Answers `req` with `a`. `live` carries the reload state when live reload is on: the page's script
 * then shows a failure as the overlay too, and reloads once an app serves.
 */
export function sendErrorAnswer(req: IncomingMessage, res: ServerResponse, a: ErrorAnswer, live: ReloadState | undefined): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let body: string;
  let type: string;
  if (wantsHtml(req)) {
    // The failure as the page was rendered with it: the script compares it with the published one.
    const failure: FailureReport | null = a.kind === 'failed' ? { title: a.title, lines: [...a.lines] } : null;
    const script = live ? reloadSnippet({ boot: live.boot, seq: live.seq, failure, errorPage: true }) : undefined;
    body = htmlPage(a, script);
    type = 'text/html; charset=utf-8';
  } else {
    body = `hotwatch: ${a.title}\n${a.lines.map((l) => `  ${l}\n`).join('')}`;
    type = 'text/plain; charset=utf-8';
  }
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(a.status, {
    'Content-Type': type,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    'Retry-After': '1',
    'X-Hotwatch-Proxy': a.kind,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
