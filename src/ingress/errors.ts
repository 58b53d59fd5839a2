import type { FastifyError, FastifyInstance } from 'fastify';
import { createError, errors, HookgateError } from '../errors.js';
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
  if (status !== undefined && status >= 400 && status < 500) {
    return createError('BAD_REQUEST', 'The request could not be read.', status);
  }
  return errors.internal();
}

export function installErrorHandlers(
  app: FastifyInstance,
  bodyLimit: number,
  sourceAt: (path: string) => SourceRegistration | undefined,
): void {
  app.setErrorHandler((err, req, reply) => {
    const e = toHookgateError(err as FastifyError, bodyLimit);
    if (e.statusCode >= 500 && !(err instanceof HookgateError)) req.log.error({ err }, 'unhandled error');
    return reply.code(e.statusCode).headers(e.headers).send(e.toJSON());
  });

  // A known path with another method is a 405 (with `allow`); anything else is a 404.
  app.setNotFoundHandler((req, reply) => {
    const reg = sourceAt(splitUrl(req.url).path);
    if (!reg) {
      const e = errors.notFound();
      return reply.code(e.statusCode).send(e.toJSON());
    }
    req.sourceName = reg.name;
    const allowed = reg.methods.includes('GET') ? [...reg.methods, 'HEAD'] : reg.methods;
    const e = errors.methodNotAllowed(allowed);
    return reply.code(e.statusCode).headers(e.headers).send(e.toJSON());
  });
}
