/**
 * A minimal WebSocket (RFC 6455) for tests: the frame codec, the server half of the handshake for the
 * test upstream, and a client over a raw socket (Node 20 has no WebSocket client). Text, close and
 * small-to-medium payloads only; enough to prove the proxy passes frames both ways unchanged.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

export interface Frame {
  opcode: number;
  payload: Buffer;
}

export function encodeFrame(payload: Buffer, opts: { opcode?: number; mask: boolean }): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0, len]) : Buffer.from([0, 126, len >> 8, len & 0xff]);
  if (len >= 65_536) throw new Error('test frames stay under 64 KiB');
  head[0] = 0x80 | (opts.opcode ?? 1);
  if (!opts.mask) return Buffer.concat([head, payload]);
  head[1] = head[1]! | 0x80;
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([head, key, masked]);
}

/** Feeds bytes, returns the complete frames so far (keeps the partial rest). */
export class FrameReader {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const masked = (this.buf[1]! & 0x80) !== 0;
      let len = this.buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      }
      const need = off + (masked ? 4 : 0) + len;
      if (this.buf.length < need) break;
      const key = masked ? this.buf.subarray(off, off + 4) : undefined;
      const body = this.buf.subarray(need - len, need);
      const payload = Buffer.from(key ? body.map((b, i) => b ^ key[i % 4]!) : body);
      frames.push({ opcode: this.buf[0]! & 0x0f, payload });
      this.buf = this.buf.subarray(need);
    }
    return frames;
  }
}

export interface WsClient {
  send(text: string): void;
  /** Resolves with the next text message (rejects if the connection ends first). */
  next(timeoutMs?: number): Promise<string>;
  /** Resolves when the TCP connection has closed: whether a close frame came first, and any socket error. */
  closed: Promise<{ closeFrame: boolean; error: Error | undefined }>;
  close(): void;
  socket: net.Socket;
}

/** Opens a WebSocket to 127.0.0.1:port; rejects with the status line when the answer is not 101. */
export function openWebSocket(port: number, path = '/ws'): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const key = randomBytes(16).toString('base64');
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      const text = head.subarray(0, end).toString('latin1');
      const rest = head.subarray(end + 4);
      if (!/^HTTP\/1\.1 101 /.test(text)) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${text.split('\r\n')[0]}`));
        return;
      }
      if (!text.toLowerCase().includes(`sec-websocket-accept: ${acceptKey(key).toLowerCase()}`)) {
        socket.destroy();
        reject(new Error(`bad Sec-WebSocket-Accept in:\n${text}`));
        return;
      }
      resolve(client(socket, rest));
    };
    socket.on('data', onHead);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('the connection closed before the handshake completed')));
  });
}

function client(socket: net.Socket, first: Buffer): WsClient {
  const reader = new FrameReader();
  const inbox: string[] = [];
  const waiters: { resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  let closeFrame = false;
  let error: Error | undefined;
  const take = (chunk: Buffer): void => {
    for (const f of reader.push(chunk)) {
      if (f.opcode === 8) closeFrame = true;
      else if (f.opcode === 1) {
        const w = waiters.shift();
        if (w) w.resolve(f.payload.toString('utf8'));
        else inbox.push(f.payload.toString('utf8'));
      }
    }
  };
  socket.on('data', take);
  socket.on('error', (e) => (error = e));
  const closed = new Promise<{ closeFrame: boolean; error: Error | undefined }>((resolve) =>
    socket.on('close', () => {
      for (const w of waiters.splice(0)) w.reject(new Error('the WebSocket closed'));
      resolve({ closeFrame, error });
    }),
  );
  if (first.length > 0) take(first);
  return {
    socket,
    closed,
    send: (text) => socket.write(encodeFrame(Buffer.from(text, 'utf8'), { mask: true })),
    next: (timeoutMs = 5_000) =>
      new Promise<string>((resolve, reject) => {
        const m = inbox.shift();
        if (m !== undefined) return resolve(m);
        if (socket.destroyed) return reject(new Error('the WebSocket closed'));
        const t = setTimeout(() => reject(new Error(`no WebSocket message within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          resolve: (s) => {
            clearTimeout(t);
            resolve(s);
          },
          reject: (e) => {
            clearTimeout(t);
            reject(e);
          },
        });
      }),
    close: () => {
      socket.write(encodeFrame(Buffer.from([0x03, 0xe8]), { opcode: 8, mask: true }));
      socket.end();
    },
  };
}
