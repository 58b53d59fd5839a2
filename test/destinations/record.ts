import { buildEnvelope } from '../../src/record/build.js';
import type { Condition, Envelope } from '../../src/record/envelope.js';
import { newEventId } from '../../src/record/id.js';

export interface SampleOptions {
  source?: string;
  body?: Buffer | string;
  contentType?: string;
  condition?: Condition;
  query?: string;
  eventType?: string;
}

/** A record as the ingress builds it, from a Stripe-like JSON webhook unless told otherwise. */
export function sampleRecord(options: SampleOptions = {}): Envelope {
  // As the ingress does: the id is made from the receipt time.
  const now = Date.now();
  const id = newEventId(now);
  const body =
    options.body ??
    JSON.stringify({
      id: `evt_${id}`,
      type: 'invoice.paid',
      data: { object: { customer: 'cus_42', amount: 1999 } },
    });
  return buildEnvelope(
    {
      id,
      receivedAt: now,
      source: options.source ?? 'stripe',
      method: 'POST',
      routePath: '/hooks/stripe',
      path: '/hooks/stripe',
      rawQueryString: options.query ?? '',
      rawHeaders: ['Content-Type', options.contentType ?? 'application/json', 'User-Agent', 'Stripe/1.0'],
      body: typeof body === 'string' ? Buffer.from(body) : body,
      sourceIp: '203.0.113.9',
      protocol: 'HTTP/1.1',
      domainName: 'hooks.example.com',
      verified: true,
      verifier: 'stripe',
      dedupeKey: `evt_${id}`,
      ...(options.eventType !== undefined ? { eventType: options.eventType } : {}),
    },
    {
      condition: options.condition ?? 'Success',
      response: { statusCode: 204, headers: {}, body: null, isBase64Encoded: false },
    },
  );
}
