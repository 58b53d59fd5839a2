import type { FastifyInstance } from 'fastify';

/**
 * Every content type is read as the exact bytes received: signatures are computed
 * over them and the record stores them. Parsing (JSON, form) happens later, on a copy,
 * only where a step needs it.
 */
export function keepRawBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

export function rawBodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
