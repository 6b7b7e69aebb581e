/** The streamed injector: the script lands before the last </body> whatever the chunk boundaries. */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { HtmlInjector, paddedNotice } from '../../src/proxy/inject.js';

const S = Buffer.from('<script>X</script>');

async function inject(chunks: string[], snippet = S): Promise<{ out: string; metaBlocked: number }> {
  let metaBlocked = 0;
  const inj = new HtmlInjector(snippet, () => metaBlocked++);
  const out = await buffer(Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))).pipe(inj));
  return { out: out.toString('latin1'), metaBlocked };
}

/** Every way of cutting `text` in two and three pieces. */
function splits(text: string): string[][] {
  const out: string[][] = [[text]];
  for (let i = 1; i < text.length; i++) {
    out.push([text.slice(0, i), text.slice(i)]);
    for (let j = i + 1; j < text.length; j += 3) out.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
  }
  return out;
}

describe('HtmlInjector', () => {
  it('puts the script before the last </body>, case-insensitively, for every chunking', async () => {
    const page = '<html><body><script>var s = "</body>";</script><p>x</p></BODY></html>';
    const want = '<html><body><script>var s = "</body>";</script><p>x</p><script>X</script></BODY></html>';
    for (const chunks of splits(page)) expect((await inject(chunks)).out).toBe(want);
  });

  it('appends the script to a page without </body>, and to an empty one', async () => {
    expect((await inject(['<p>a</p>', '</bod'])).out).toBe('<p>a</p></bod<script>X</script>');
    expect((await inject([])).out).toBe('<script>X</script>');
  });

  it('treats a </body> followed by more than 64 KiB as a decoy', async () => {
    const tail = 'y'.repeat(70 * 1024);
    const { out } = await inject(['<p></body>', tail]);
    expect(out).toBe(`<p></body>${tail}<script>X</script>`);
  });

  it('replaces the script with a comment of the same length when a meta CSP would block it', async () => {
    const page = `<html><head><meta http-equiv="Content-Security-Policy" content="script-src 'self'"></head><body></body></html>`;
    const long = Buffer.from(`<script>${'x'.repeat(500)}</script>`);
    for (const chunks of [[page], [page.slice(0, 20), page.slice(20)], [page.slice(0, 60), page.slice(60)]]) {
      const { out, metaBlocked } = await inject(chunks, long);
      expect(metaBlocked).toBe(1);
      expect(out.length).toBe(page.length + long.length);
      expect(out).toContain('<!-- hotwatch: live reload not injected');
      expect(out.endsWith(' --></body></html>')).toBe(true);
    }
    // A meta policy that admits inline scripts, or one in the body (ignored by browsers), changes nothing.
    expect(
      (await inject([`<head><meta http-equiv="content-security-policy" content="script-src 'unsafe-inline'"></head><body></body>`]))
        .metaBlocked,
    ).toBe(0);
    expect((await inject([`<body><meta http-equiv="Content-Security-Policy" content="script-src 'none'"></body>`])).metaBlocked).toBe(0);
  });

  it('paddedNotice is exactly as long as asked', () => {
    expect(paddedNotice(3000).length).toBe(3000);
  });
});
