import type { FastifyInstance } from 'fastify';

/**
 * Every content type is read as the exact bytes received: signatures are computed
 * over them and the record stores them. Parsing (JSON, form) happens later, on a copy,
 * only where a step needs it.
 */
export function keepRawBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  acceptAnyContentType(app);
}

/**
 * What Fastify accepts as a media type (`type/subtype`, tokens, optional parameters):
 * it answers anything else 415 before any parser runs, even the catch-all one.
 */
const MEDIA_TYPE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(?:;|$)/;

/**
 * A provider that sends an empty or malformed `content-type` still sent an event: it
 * is stored, header and bytes as received. Fastify's view of the header (only its
 * body parsing reads it) is swapped for a neutral type; the record, the verifiers and
 * the proxy read the raw headers, which keep the value as sent.
 */
function acceptAnyContentType(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    const value = req.raw.headers['content-type'];
    if (value !== undefined && !MEDIA_TYPE.test(value)) {
      req.raw.headers['content-type'] = 'application/octet-stream';
    }
    done();
  });
}

export function rawBodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
