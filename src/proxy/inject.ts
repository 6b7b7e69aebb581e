/**
 * Streams an HTML page through while adding the reload script before its last `</body>` (or at the
 * end when there is none: a script after `</html>` still runs, the parser moves it into the body).
 * Only the bytes from the last `</body>` seen (or the last few bytes when they could start one) are
 * held back, so a page the app streams (head first, the rest later) still reaches the browser as it comes.
 *
 * A page whose own <meta http-equiv="Content-Security-Policy"> would block the script gets, in its
 * place, an HTML comment saying so, padded to the script's length: the Content-Length already sent
 * stays true, and the page's source says why there is no live reload.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { blocksReloadScript } from './csp.js';

const TAG = '</body';
/** After the last `</body>`, more than this is not a closing tail: the page goes on, and the tag was a decoy. */
const MAX_TAIL = 64 * 1024;
const META_CSP = /<meta\b[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/i;
const META_CONTENT = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)')/i;

export class HtmlInjector extends Transform {
  private held: Buffer = Buffer.alloc(0);
  private heldIsTail = false;
  /** Text since the last complete tag, while the head is being read (a <meta> split across chunks). */
  private headCarry: string | undefined = '';
  private blockedByMeta = false;

  constructor(
    private readonly snippet: Buffer,
    private readonly onMetaCspBlocks: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    const text = data.toString('latin1').toLowerCase();
    if (this.headCarry !== undefined) this.scanHead(chunk.toString('latin1'));
    const at = text.lastIndexOf(TAG);
    if (at >= 0 && data.length - at <= MAX_TAIL) {
      this.pass(data.subarray(0, at), data.subarray(at), true);
    } else {
      const cut = data.length - partialTag(text);
      this.pass(data.subarray(0, cut), data.subarray(cut), false);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    const insert = this.blockedByMeta ? paddedNotice(this.snippet.length) : this.snippet;
    if (this.heldIsTail) this.pushAll(insert, this.held);
    else this.pushAll(this.held, insert);
    done();
  }

  private pass(out: Buffer, keep: Buffer, keepIsTail: boolean): void {
    if (out.length > 0) this.push(out);
    this.held = keep;
    this.heldIsTail = keepIsTail;
  }

  private pushAll(...parts: Buffer[]): void {
    for (const p of parts) if (p.length > 0) this.push(p);
  }

  /** Looks for a meta CSP until the body starts (browsers honour it only in the head). */
  private scanHead(chunkText: string): void {
    const all = this.headCarry + chunkText;
    const body = all.search(/<body[\s>]/i);
    const text = body >= 0 ? all.slice(0, body) : all;
    const m = META_CSP.exec(text);
    if (m) {
      const content = META_CONTENT.exec(m[0]);
      const policy = content?.[1] ?? content?.[2] ?? '';
      if (blocksReloadScript(policy) && !this.blockedByMeta) {
        this.blockedByMeta = true;
        this.onMetaCspBlocks();
      }
    }
    if (body >= 0) {
      this.headCarry = undefined;
      return;
    }
    const open = text.lastIndexOf('<');
    this.headCarry = open >= 0 && !text.includes('>', open) ? text.slice(open, open + 4096) : '';
  }
}

/** How many of the last bytes could be the start of a `</body` that the next chunk completes. */
function partialTag(lowerText: string): number {
  for (let k = Math.min(TAG.length - 1, lowerText.length); k > 0; k--) if (lowerText.endsWith(TAG.slice(0, k))) return k;
  return 0;
}

/** An HTML comment of exactly `length` bytes (or as close as the notice allows) saying why no script is there. */
export function paddedNotice(length: number): Buffer {
  const text = "<!-- hotwatch: live reload not injected: this page's meta Content-Security-Policy would block it";
  const end = ' -->';
  const pad = Math.max(0, length - text.length - end.length);
  return Buffer.from(text + ' '.repeat(pad) + end, 'latin1');
}
