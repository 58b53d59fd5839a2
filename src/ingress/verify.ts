import type { FastifyRequest } from 'fastify';
import { collectHeaders } from '../record/build.js';
import type { Verifier, VerifyResult } from '../verifiers/index.js';
import type { IngressContext } from './context.js';
import { publicUrl } from './public-url.js';
import { rawBodyOf } from './raw-body.js';

/** A request as every step sees it: exact bytes and lower-case, `,`-joined headers. */
export interface IncomingRequest {
  rawBody: Buffer;
  headers: Record<string, string>;
}

export function readRequest(req: FastifyRequest): IncomingRequest {
  return { rawBody: rawBodyOf(req.body), headers: collectHeaders(req.raw.rawHeaders) };
}

/**
 * Runs the source's verifier. A failure is counted in
 * `verification_failures_total{source,reason}` and logged with its reason; the caller
 * answers a plain 401 that says nothing about why.
 */
export function verifyRequest(
  req: FastifyRequest,
  incoming: IncomingRequest,
  source: string,
  verifier: Verifier,
  ctx: IngressContext,
): VerifyResult {
  let result: VerifyResult;
  try {
    result = verifier.verify({
      rawBody: incoming.rawBody,
      headers: incoming.headers,
      method: req.method,
      // Only URL-signing schemes read it.
      get url() {
        return publicUrl(req, ctx.config.server.publicUrl);
      },
      now: ctx.now(),
    });
  } catch (err) {
    // A verifier bug must never let a request through.
    req.log.error({ err, source }, 'verifier threw');
    result = { ok: false, reason: 'malformed' };
  }
  if (!result.ok) {
    ctx.metrics.verificationFailures.inc({ source, reason: result.reason });
    req.log.warn({ source, reason: result.reason, verifier: verifier.type }, 'signature verification failed');
  }
  return result;
}
