import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { HookgateError } from '../../errors.js';
import { captureStream, type Capture, type Head } from './capture.js';
import { EVENT_ID_HEADER, groupHeaders } from './headers.js';

/**
 * Sets the upstream's status line and end-to-end headers on the reply, plus
 * `hookgate-event-id` so a caller can find the record. Node adds nothing of its own
 * beyond framing: no `date` the upstream did not send.
 */
export function upstreamStatusLine(
  reply: FastifyReply,
  res: IncomingMessage,
  headers: readonly [string, string][],
  eventId: string,
): FastifyReply {
  reply.raw.sendDate = false;
  if (res.statusMessage) reply.raw.statusMessage = res.statusMessage;
  return reply
    .code(res.statusCode ?? 502)
    .headers(groupHeaders(headers))
    .header(EVENT_ID_HEADER, eventId);
}

/** Takes back an unsent upstream status line so the gateway's error answer goes out clean. */
function clearUpstreamHeaders(reply: FastifyReply): void {
  for (const name of reply.raw.getHeaderNames()) reply.raw.removeHeader(name);
  for (const name of Object.keys(reply.getHeaders())) if (name !== EVENT_ID_HEADER) reply.removeHeader(name);
  reply.raw.statusMessage = '';
  reply.raw.sendDate = true;
}

/** The gateway's own error answer in the catalogue's format. */
export function sendError(reply: FastifyReply, error: HookgateError): FastifyReply {
  return reply.code(error.statusCode).headers(error.headers).send(error.toJSON());
}

export interface Streamed {
  body: Readable;
  /** Settles once the body has gone to the caller, or stopped going. */
  done: Promise<{ whole: boolean; callerGone: boolean; headersSentBeforeCut: boolean }>;
}

/**
 * The upstream's body streamed to the caller as it arrives, shown to the capture on
 * the way. A caller that leaves stops the read from the upstream; an upstream that
 * breaks off cuts the caller's answer (a 502/504 if nothing was sent yet).
 */
export function streamBody(
  reply: FastifyReply,
  res: IncomingMessage,
  capture: Capture,
  cut: () => string | undefined,
  errorFor: (cut: string) => HookgateError,
): Streamed {
  const tap = captureStream(capture);
  let headersSentBeforeCut = true;
  res.once('error', () => {
    headersSentBeforeCut = reply.raw.headersSent;
    if (!headersSentBeforeCut) clearUpstreamHeaders(reply);
    // Unsent, this becomes the 502/504 through the error handler; sent, it cuts the answer.
    tap.destroy(errorFor(cut() ?? 'ConnectionError'));
  });
  const done = new Promise<{ whole: boolean; callerGone: boolean; headersSentBeforeCut: boolean }>(
    (resolve) => {
      tap.once('close', () => {
        const whole = res.complete && tap.readableEnded;
        const callerGone = !whole && cut() === undefined;
        if (!res.complete) res.destroy();
        resolve({ whole, callerGone, headersSentBeforeCut });
      });
    },
  );
  res.pipe(tap);
  return { body: tap, done };
}

/**
 * A body read ahead, for the caller: whole, as a buffer (Fastify's cheapest path;
 * kept a stream when the upstream sent no content-type, which Fastify would otherwise
 * invent for a buffer), or what was read followed by the rest as it comes.
 */
export function bodyFromHead(
  res: IncomingMessage,
  head: Head,
  { hasContentType, isHead }: { hasContentType: boolean; isHead: boolean },
): Buffer | Readable | undefined {
  if (head.ended) {
    // An answer to HEAD keeps the upstream's content-length: Fastify rewrites it to 0
    // for an empty payload, but leaves it alone for a stream.
    if (isHead) return Readable.from([], { objectMode: false });
    const whole = head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks);
    if (whole.length === 0) return undefined;
    return hasContentType ? whole : Readable.from([whole], { objectMode: false });
  }
  const out = new PassThrough();
  for (const chunk of head.chunks) out.write(chunk);
  res.once('error', (err) => out.destroy(err));
  out.once('close', () => {
    if (!res.complete) res.destroy();
  });
  res.pipe(out);
  res.resume();
  return out;
}
