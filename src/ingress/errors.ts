import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { errors, HookgateError } from '../errors.js';
import { toHookgateError } from '../http-errors.js';
import type { SourceRegistration } from './context.js';
import { splitUrl } from './public-url.js';

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
