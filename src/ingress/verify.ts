import type { FastifyReply, FastifyRequest } from 'fastify';
import { collectHeaders } from '../record/build.js';
import type { Verifier, VerifyInput, VerifyResult } from '../verifiers/index.js';
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
 * What a verifier reads. A class rather than an object literal: a literal with a
 * getter is built slowly on every request (~0.5 µs against ~0.05 µs).
 */
class Input implements VerifyInput {
  readonly rawBody: Buffer;
  readonly headers: Record<string, string>;
  readonly method: string;
  readonly now: number;
  constructor(
    private readonly req: FastifyRequest,
    incoming: IncomingRequest,
    private readonly configuredUrl: string | undefined,
    now: number,
  ) {
    this.rawBody = incoming.rawBody;
    this.headers = incoming.headers;
    this.method = req.method;
    this.now = now;
  }
  /** Only URL-signing schemes read it. */
  get url(): string {
    return publicUrl(this.req, this.configuredUrl);
  }
}

/**
 * Runs the source's verifier. A failure is counted in
 * `verification_failures_total{source,reason}` and logged with its reason; the caller
 * answers a plain 401 that says nothing about why (with the scheme's challenge header,
 * set here on the reply, where it has one).
 */
export function verifyRequest(
  req: FastifyRequest,
  incoming: IncomingRequest,
  source: string,
  verifier: Verifier,
  reply: FastifyReply,
  ctx: IngressContext,
): VerifyResult {
  let result: VerifyResult;
  try {
    result = verifier.verify(new Input(req, incoming, ctx.config.server.publicUrl, ctx.now()));
  } catch (err) {
    // A verifier bug must never let a request through.
    req.log.error({ err, source }, 'verifier threw');
    result = { ok: false, reason: 'malformed' };
  }
  if (!result.ok) {
    ctx.metrics.verificationFailures.inc({ source, reason: result.reason });
    req.log.warn({ source, reason: result.reason, verifier: verifier.type }, 'signature verification failed');
    if (verifier.challenge) reply.header('www-authenticate', verifier.challenge);
  }
  return result;
}
