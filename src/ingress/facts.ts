import type { FastifyRequest } from 'fastify';
import { choosePartition } from '../queue/keys.js';
import type { RequestFacts } from '../record/build.js';
import { newEventId } from '../record/id.js';
import type { IngressContext, SourceRegistration } from './context.js';
import { domainName, splitUrl } from './public-url.js';
import { rawBodyOf } from './raw-body.js';

/** The request half of the record (`requestPayload`), as received; `headers.drop` applied by buildEnvelope. */
/**
 * A new event's id. With `redis.partitions` > 1 it names the event's partition: its
 * dedupe key's, so the same provider event meets its dedupe key on any gateway.
 */
export function newEventIdFor(
  ctx: IngressContext,
  source: string,
  dedupeKey: string | undefined,
  receivedAt: number,
): string {
  const count = ctx.config.redis.partitions;
  if (count <= 1) return newEventId(receivedAt);
  return newEventId(receivedAt, { index: choosePartition(source, dedupeKey, count), count });
}

export function requestFacts(
  req: FastifyRequest,
  reg: SourceRegistration,
  ctx: IngressContext,
  extra: {
    id: string;
    dedupeKey?: string;
    eventType?: string;
    verified?: boolean;
    headers?: Record<string, string>;
  },
): RequestFacts {
  const { path, query } = splitUrl(req.url);
  return {
    id: extra.id,
    receivedAt: req.receivedAt,
    source: reg.name,
    method: req.method,
    routePath: reg.path,
    path,
    rawQueryString: query,
    rawHeaders: req.raw.rawHeaders,
    ...(extra.headers ? { headers: extra.headers } : {}),
    dropHeaders: reg.source.headers?.drop ?? [],
    body: rawBodyOf(req.body),
    sourceIp: req.ip,
    protocol: `HTTP/${req.raw.httpVersion}`,
    domainName: domainName(req, ctx.config.server.publicUrl),
    verified: extra.verified ?? reg.verifier.type !== 'none',
    verifier: reg.verifier.type,
    ...(extra.dedupeKey !== undefined ? { dedupeKey: extra.dedupeKey } : {}),
    ...(extra.eventType !== undefined ? { eventType: extra.eventType } : {}),
  };
}
