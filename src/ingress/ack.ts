import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { buildEnvelope } from '../record/build.js';
import type { Envelope } from '../record/envelope.js';
import { StoreUnavailableError } from '../queue/intake-writer.js';
import type { IngressContext, ModeRegistrar, SourceRegistration } from './context.js';
import { newEventIdFor, requestFacts } from './facts.js';
import { dedupeKeyOf, eventTypeOf, RequestFields } from './request-fields.js';
import { ackResponse, type AckResponse } from './response.js';
import { isSlackSslCheck, slackChallenge } from './slack.js';
import { sourceRoute } from './source-route.js';
import { readRequest, verifyRequest } from './verify.js';

export const EVENT_ID_HEADER = 'hookgate-event-id';

/**
 * Ack mode: verify, dedupe, build the record, store it durably, answer.
 * With `ack: immediate` the answer goes first and a failed write is only logged and
 * counted in `records_lost_total`.
 */
export const registerAckSource: ModeRegistrar = (app, reg, ctx) => {
  const response = ackResponse(reg.source.response);
  const slack = reg.verifier.type === 'slack';
  const immediate = reg.source.ack === 'immediate';

  app.route(
    sourceRoute(reg, async (req, reply) => {
      const incoming = readRequest(req);
      if (slack && isSlackSslCheck(incoming)) return reply.code(200).send();
      if (!verifyRequest(req, incoming, reg.name, reg.verifier, reply, ctx).ok)
        throw errors.signatureInvalid();

      const fields = new RequestFields(incoming);
      if (slack) {
        const challenge = slackChallenge(fields.body);
        if (challenge !== undefined) return reply.code(200).send({ challenge });
      }
      const dedupeKey = dedupeKeyOf(reg.source.dedupe, reg.verifier, fields);
      const eventType = eventTypeOf(reg.source.eventType, reg.verifier, fields);
      const record = buildEnvelope(
        requestFacts(req, reg, ctx, {
          id: newEventIdFor(ctx, reg.name, dedupeKey, req.receivedAt),
          dedupeKey,
          eventType,
          headers: incoming.headers,
        }),
        {
          condition: 'Success',
          response: response.payload,
        },
      );

      if (immediate) {
        answer(reply, response, record.id);
        storeInBackground(req, reg, ctx, record, dedupeKey, eventType);
        return reply;
      }
      try {
        const stored = await ctx.intakeWriter.accept(record, {
          source: reg.name,
          dedupeKey,
          eventType,
          // The whole request gets enqueueTimeout, not just the write.
          timeoutMs: ctx.config.server.enqueueTimeout - reply.elapsedTime,
          replicas: ctx.config.redis.ackReplicas ?? 0,
        });
        if (stored.duplicate)
          req.log.info({ source: reg.name, eventId: stored.eventId, dedupeKey }, 'duplicate');
        return answer(reply, response, stored.eventId);
      } catch (err) {
        req.log.error(
          { source: reg.name, eventId: record.id, reason: reason(err), err: (err as Error).cause ?? err },
          reason(err) === 'replicas'
            ? 'event not confirmed by redis.ackReplicas replicas in time (on the master; the provider will retry)'
            : 'event not stored',
        );
        throw reason(err) === 'replicas' ? errors.replicasNotConfirmed() : errors.unavailable();
      }
    }),
  );
};

function answer(reply: FastifyReply, response: AckResponse, eventId: string): FastifyReply {
  reply.eventId = eventId;
  reply.code(response.status).headers(response.headers).header(EVENT_ID_HEADER, eventId);
  return response.body === undefined ? reply.send() : reply.send(response.body);
}

/**
 * `ack: immediate`: the answer has gone out with this record's id. A duplicate is
 * still not stored twice, but its answer carried the new id, not the original's.
 */
function storeInBackground(
  req: FastifyRequest,
  reg: SourceRegistration,
  ctx: IngressContext,
  record: Envelope,
  dedupeKey: string | undefined,
  eventType: string | undefined,
): void {
  ctx.intakeWriter.accept(record, { source: reg.name, dedupeKey, eventType }).then(
    (stored) => {
      if (stored.duplicate)
        req.log.info({ source: reg.name, eventId: stored.eventId, dedupeKey }, 'duplicate');
    },
    (err: unknown) => {
      ctx.metrics.recordsLost.inc({ source: reg.name, reason: reason(err) });
      req.log.error(
        { source: reg.name, eventId: record.id, reason: reason(err), err: (err as Error).cause ?? err },
        'acknowledged event not stored (ack: immediate): record lost',
      );
    },
  );
}

function reason(err: unknown): string {
  return err instanceof StoreUnavailableError ? err.reason : 'error';
}
