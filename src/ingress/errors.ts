import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, HookgateError } from '../errors.js';
import type { SourceRegistration } from './context.js';
import { splitUrl } from './public-url.js';

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

/**
 * An `expect` other than `100-continue` (which Node answers itself): Node would send
 * a bare 417 with no body. RFC 9110 lets a server refuse what it cannot meet; this
 * refusal is in the error format, and the connection closes, since the body, if the
 * client sends one anyway, is not read.
 */
export function answerExpectations(server: Server): void {
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const e = errors.expectationFailed();
    const body = JSON.stringify(e.toJSON());
    res.writeHead(e.statusCode, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  });
}

export function installErrorHandlers(
  app: FastifyInstance,
  bodyLimit: number,
  sourceAt: (path: string) => SourceRegistration | undefined,
): void {
  // A known path with another method is a 405 (with `allow`); anything else is a 404.
  const unrouted = (req: FastifyRequest): HookgateError => {
    const reg = sourceAt(splitUrl(req.url).path);
    if (!reg) return errors.notFound();
    req.sourceName = reg.name;
    return errors.methodNotAllowed(reg.methods.includes('GET') ? [...reg.methods, 'HEAD'] : reg.methods);
  };

  app.setErrorHandler((err, req, reply) => {
    // The body of a request no route takes is read (and can be too large, or cut off)
    // before the not-found handler runs: the path or method is still what is wrong with it.
    const e =
      req.is404 && !(err instanceof HookgateError)
        ? unrouted(req)
        : toHookgateError(err as FastifyError, req.routeOptions.bodyLimit ?? bodyLimit);
    if (e.statusCode >= 500 && !(err instanceof HookgateError)) req.log.error({ err }, 'unhandled error');
    return reply.code(e.statusCode).headers(e.headers).send(e.toJSON());
  });

  app.setNotFoundHandler((req, reply) => {
    const e = unrouted(req);
    return reply.code(e.statusCode).headers(e.headers).send(e.toJSON());
  });
}
