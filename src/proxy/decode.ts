/**
 * Undoing a page's Content-Encoding so the reload script can be added (the page then goes out
 * uncompressed: on loopback the bytes cost nothing, and recompressing would cost CPU on every page).
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

/**
 * A decoder for `contentEncoding`: null when the body is not encoded, 'unsupported' for a coding (or
 * a chain of codings) the proxy cannot undo, in which case the page passes untouched.
 */
export function decoderFor(contentEncoding: string | undefined): Transform | null | 'unsupported' {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  switch (coding) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      // A page cut short by a dying app still ends cleanly: flush what was decoded.
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'br':
      return zlib.createBrotliDecompress();
    case 'deflate':
      return new Inflate();
    default:
      return 'unsupported';
  }
}

/**
 * "deflate" is meant to be a zlib stream (RFC 9110 §8.4.1.2), but Go's compress/flate, used as-is by
 * common Go compression middleware, writes raw deflate. The first two bytes tell which.
 */
class Inflate extends Transform {
  private inner: zlib.Inflate | zlib.InflateRaw | undefined;
  private head: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.inner) {
      this.inner.write(chunk, () => done());
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < 2) {
      done();
      return;
    }
    const isZlib = (this.head[0]! & 0x0f) === 8 && ((this.head[0]! << 8) | this.head[1]!) % 31 === 0;
    const inner = isZlib ? zlib.createInflate() : zlib.createInflateRaw();
    this.inner = inner;
    inner.on('data', (d: Buffer) => this.push(d));
    inner.on('error', (e) => this.destroy(e));
    inner.write(this.head, () => done());
  }

  override _flush(done: TransformCallback): void {
    if (!this.inner) {
      done();
      return;
    }
    this.inner.once('end', () => done());
    this.inner.end();
  }
}
