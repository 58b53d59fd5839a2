import { Transform, type Readable } from 'node:stream';

/**
 * The first `limit` bytes of a body that passes through, for the record. Whatever
 * lies beyond is counted as `truncated`, never held.
 */
export class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** More bytes went by than were kept (or the body did not arrive whole). */
  truncated = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const room = this.limit - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (kept !== chunk) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  /** The kept bytes. A cut through a UTF-8 character is backed off, so text stays text in the record. */
  bytes(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    return this.truncated ? withoutPartialUtf8Tail(all) : all;
  }
}

/** A stream that passes every byte on and shows it to the capture on the way. */
export function captureStream(capture: Capture): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      capture.add(chunk);
      done(null, chunk);
    },
  });
}

export interface Head {
  chunks: Buffer[];
  /** The whole body is in `chunks`. */
  ended: boolean;
}

/**
 * Reads a body until more than `limit` bytes have arrived or it ends, then leaves the
 * stream paused with the rest unread: memory stays bounded by `limit` and one chunk.
 * Rejects with the stream's error.
 */
export function readHead(stream: Readable, limit: number): Promise<Head> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        stream.pause();
        cleanup();
        resolve({ chunks, ended: false });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ chunks, ended: true });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('body closed before its end'), { code: 'ECONNRESET' }));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

/** Drops a trailing, incomplete UTF-8 sequence (at most 3 bytes). */
export function withoutPartialUtf8Tail(buf: Buffer): Buffer {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const byte = buf[buf.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const expected = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return expected > back ? buf.subarray(0, buf.length - back) : buf;
  }
  return buf;
}
