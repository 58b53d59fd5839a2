import { Readable, Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../../errors.js';

/**
 * Verifiers that look only at headers or the URL. Behind them the caller's body is
 * streamed to the upstream as it arrives; every other type signs the body, so it is
 * read whole (up to `bodyLimit`) and verified before the upstream sees a byte.
 */
const HEADER_ONLY_VERIFIERS = new Set(['none', 'api-key', 'basic']);

export function streamsBody(verifierType: string): boolean {
  return HEADER_ONLY_VERIFIERS.has(verifierType);
}

/**
 * In the proxy's scope, bodies are not read by Fastify: the handler gets the stream
 * and decides whether to buffer it or pass it through.
 */
export function passBodyThrough(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}

/** The caller's body, unread, or undefined when the request has none. */
export function bodyStream(req: FastifyRequest): Readable | undefined {
  if (req.body instanceof Readable) return req.body;
  // Fastify hands bodies of GET/HEAD to no parser; a proxy still owes them to the upstream.
  const length = req.headers['content-length'];
  const declared = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return declared ? req.raw : undefined;
}

/**
 * The caller's body on its way to the upstream, cut at `limit`: the chunk that would
 * pass it is not forwarded, and the stream is destroyed (the upstream call aborted).
 * A caller that goes away mid-body also ends it unfinished.
 */
export function limitBody(stream: Readable, limit: number): { body: Readable; exceeded(): boolean } {
  let size = 0;
  let exceeded = false;
  const body = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size <= limit) return done(null, chunk);
      exceeded = true;
      stream.unpipe(body);
      stream.pause();
      done(errors.payloadTooLarge(limit));
    },
  });
  // The upstream client reacts to the close; the error itself is ours (exceeded()).
  body.on('error', () => {});
  stream.once('error', (err) => body.destroy(err));
  stream.once('close', () => {
    if (!stream.readableEnded) body.destroy(new Error('caller aborted the request body'));
  });
  stream.pipe(body);
  return { body, exceeded: () => exceeded };
}

/**
 * Reads a whole body for a signature check; 413 past `limit`. The stream is left
 * paused, not destroyed (that would take the caller's socket and the 413 with it).
 */
export function readBody(req: FastifyRequest, stream: Readable, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length']) > limit) return Promise.reject(errors.payloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        stream.pause();
        reject(errors.payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
