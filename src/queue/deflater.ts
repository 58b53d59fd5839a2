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

/** The parts of Node's zlib stream object this uses; `_handle` is null once the stream has closed it. */
interface Engine {
  _handle?: ZlibHandle | null;
  /** [avail_out, avail_in] after each writeSync. */
  _writeState?: Uint32Array;
  on(event: 'error', listener: () => void): void;
}

/**
 * `deflateRawSync(input, { dictionary })` with one engine kept for every call.
 *
 * Node's deflateRawSync builds and frees an engine per call (a stream object, zlib's
 * ~270 KB of state, the dictionary hashed again), and the worker deflates every event
 * once, when it settles it (`bench/deflate` measures both). Node has no public
 * synchronous way to reuse an engine; the engine's native handle has one (`reset()`,
 * which also sets the dictionary again, and `writeSync()`). So they are used only while
 * they behave: at construction a probe is compressed both ways, twice, and the kept
 * engine is used only if the bytes are identical (deflate is deterministic for the same
 * input and options); any surprise later (a throw, output that did not end, a handle
 * the stream has closed) falls back to deflateRawSync for the rest of the process.
 * Synchronous, so never used by two callers at once.
 */
export class Deflater {
  private engine: Engine | undefined;
  private readonly out = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly dictionary: Buffer) {
    try {
      const engine = createDeflateRaw({ dictionary }) as unknown as Engine;
      // A zlib error destroys the stream (dropping its handle, which is what reused()
      // checks) and emits 'error' a tick later: without a listener that would crash.
      engine.on('error', () => {});
      const handle = engine._handle;
      if (typeof handle?.reset !== 'function' || typeof handle.writeSync !== 'function') return;
      if (!(engine._writeState instanceof Uint32Array)) return;
      this.engine = engine;
      const probe = Buffer.from(`${dictionary.toString('latin1')} probe ${'0123456789'.repeat(20)}`);
      const expected = deflateRawSync(probe, { dictionary });
      if (!this.reused(probe)?.equals(expected) || !this.reused(probe)?.equals(expected))
        this.engine = undefined;
    } catch {
      this.engine = undefined;
    }
  }

  /** True while the kept engine is in use (false: every call is a plain deflateRawSync). */
  get reusing(): boolean {
    return this.engine !== undefined;
  }

  deflate(input: Buffer): Buffer {
    if (this.engine) {
      let out: Buffer | undefined;
      try {
        out = this.reused(input);
      } catch {
        // A throwing handle would fail every settle after it: never again, for this process.
      }
      if (out) return out;
      this.engine = undefined;
    }
    return deflateRawSync(input, { dictionary: this.dictionary });
  }

  private reused(input: Buffer): Buffer | undefined {
    const engine = this.engine!;
    // A closed handle aborts the process when written (a native assertion, not an
    // exception): touched only while the stream still holds it.
    const handle = engine._handle;
    if (!handle) return undefined;
    // Room for deflate's worst case (stored blocks: 5 bytes per 16 KB, and a little). A
    // record past the kept 64 KB gets a buffer of its own: one large body must not
    // leave the worker holding its size for good.
    const bound = input.length + 5 * Math.ceil((input.length + 1) / 16_384) + 64;
    const out = bound > this.out.length ? Buffer.allocUnsafe(bound) : this.out;
    handle.reset();
    handle.writeSync(constants.Z_FINISH, input, 0, input.length, out, 0, out.length);
    // A zlib error closes the handle during the call.
    if (engine._handle !== handle) return undefined;
    const [availOut, availIn] = engine._writeState!;
    // All input read and room left over: the stream ended (Z_STREAM_END).
    if (availIn !== 0 || availOut === 0) return undefined;
    const written = out.subarray(0, out.length - availOut!);
    return out === this.out ? Buffer.from(written) : written;
  }
}
