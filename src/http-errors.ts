import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errors, HookgateError } from './errors.js';

// Shared by every Fastify app hookgate runs (the webhook port and the admin port), so
// it sits below both rather than in either.

/**
 * Every answer that is not a success goes out as `{"error": {"code", "message"}}`
 * from the catalogue: no stack, no framework message, nothing about secrets.
 */
export function toHookgateError(err: FastifyError | Error, bodyLimit: number): HookgateError {
  if (err instanceof HookgateError) return err;
  const status = (err as FastifyError).statusCode;
  if (status === 413) return errors.payloadTooLarge(bodyLimit);
  if (status === 404) return errors.notFound();
  // Any other refusal of Fastify's (a URL it cannot decode, a malformed length) is a
  // plain 400: the status goes with the catalogue's code, never Fastify's own number.
  if (status !== undefined && status >= 400 && status < 500) return errors.unreadable();
  return errors.internal();
}

/**
 * Fastify's `frameworkErrors`: a URL that cannot be decoded (`/hooks/%E0%A4%A`) is
 * answered before any route runs, and Fastify's own body is not the error format.
 */
export function frameworkErrors(bodyLimit: number) {
  return (err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void => {
    const e = toHookgateError(err, bodyLimit);
    void reply.code(e.statusCode).headers(e.headers).send(e.toJSON());
  };
}

/**
 * Fastify's `clientErrorHandler`: a request Node cannot parse (bad chunked encoding,
 * headers over the size limit, a request that never completes) gets a raw answer on
 * the socket; this one is in the error format too.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? errors.headersTooLarge()
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errors.requestTimeout()
        : errors.unreadable();
  if (socket.writable) {
    const body = JSON.stringify(e.toJSON());
    socket.write(
      `HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
