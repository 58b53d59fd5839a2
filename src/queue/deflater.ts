import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';

/** What Node's deflate engine (node_zlib.cc) offers on its native handle: what deflateRawSync itself drives. */
interface ZlibHandle {
  reset(): void;
  writeSync(
    flush: number,
    input: Buffer,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
}

/**
 * `deflateRawSync(input, { dictionary })` with one engine kept for every call.
 *
 * Node's deflateRawSync builds and frees an engine per call (a stream object, zlib's
 * ~270 KB of state, the dictionary hashed again): ~9 µs of the ~52 µs a 3.6 KB stored
 * record took here, and the worker deflates every event once, when it settles it. Node
 * has no public synchronous way to reuse an engine; the engine's native handle has one
 * (`reset()`, which also sets the dictionary again, and `writeSync()`). So they are used
 * only while they behave: at construction a probe is compressed both ways, twice, and
 * the kept engine is used only if the bytes are identical (deflate is deterministic for
 * the same input and options); any surprise later (an error, output that did not end)
 * falls back to deflateRawSync for the rest of the process. Not shared across
 * concurrent callers: it is synchronous, so there are none.
 */
export class Deflater {
  private engine: { _handle?: ZlibHandle | null } | undefined;
  private handle: ZlibHandle | undefined;
  /** The engine's [avail_out, avail_in] after each writeSync. */
  private state: Uint32Array | undefined;
  private failed: unknown;
  private readonly out = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly dictionary: Buffer) {
    try {
      const engine = createDeflateRaw({ dictionary }) as unknown as {
        _handle?: ZlibHandle | null;
        _writeState?: Uint32Array;
        on(event: 'error', listener: (err: unknown) => void): void;
      };
      engine.on('error', (err) => (this.failed = err));
      if (typeof engine._handle?.reset !== 'function' || typeof engine._handle.writeSync !== 'function')
        return;
      if (!(engine._writeState instanceof Uint32Array)) return;
      this.engine = engine;
      this.handle = engine._handle;
      this.state = engine._writeState;
      const probe = Buffer.from(`${dictionary.toString('latin1')} probe ${'0123456789'.repeat(20)}`);
      const expected = deflateRawSync(probe, { dictionary });
      for (let i = 0; i < 2; i++) {
        if (this.reused(probe)?.equals(expected)) continue;
        this.giveUp();
        return;
      }
    } catch {
      this.giveUp();
    }
  }

  /** True while the kept engine is in use (false: every call is a plain deflateRawSync). */
  get reusing(): boolean {
    return this.handle !== undefined;
  }

  deflate(input: Buffer): Buffer {
    if (this.handle) {
      let out: Buffer | undefined;
      try {
        out = this.reused(input);
      } catch {
        // A throwing handle would fail every settle after it: never again, for this process.
      }
      if (out) return out;
      this.giveUp();
    }
    return deflateRawSync(input, { dictionary: this.dictionary });
  }

  private reused(input: Buffer): Buffer | undefined {
    const handle = this.handle!;
    const state = this.state!;
    // A closed handle aborts the process when written (a native assertion, not an
    // exception): touched only while the stream still holds it, which it stops doing
    // when it closes it (destroyed, or a zlib error).
    if (this.engine?._handle !== handle) return undefined;
    // Room for deflate's worst case (stored blocks: 5 bytes per 16 KB, and a little). A
    // record past the kept 64 KB gets a buffer of its own: one large body must not
    // leave the worker holding its size for good.
    const bound = input.length + 5 * Math.ceil((input.length + 1) / 16_384) + 64;
    const out = bound > this.out.length ? Buffer.allocUnsafe(bound) : this.out;
    handle.reset();
    handle.writeSync(constants.Z_FINISH, input, 0, input.length, out, 0, out.length);
    // zlib reports an error through the stream, which drops its handle at once.
    if (this.failed !== undefined || this.engine?._handle !== handle) return undefined;
    const [availOut, availIn] = state;
    // All input read and room left over: the stream ended (Z_STREAM_END).
    if (availIn !== 0 || availOut === 0) return undefined;
    const written = out.subarray(0, out.length - availOut!);
    return out === this.out ? Buffer.from(written) : written;
  }

  private giveUp(): void {
    this.engine = undefined;
    this.handle = undefined;
    this.state = undefined;
  }
}
