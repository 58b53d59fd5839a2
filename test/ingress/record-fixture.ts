import { buildEnvelope } from '../../src/record/build.js';
import type { Envelope } from '../../src/record/envelope.js';
import { newEventId } from '../../src/record/id.js';

/** A well-formed record for event-store tests (the ingress tests build theirs from real requests). */
export function sampleRecord(source = 'stripe', body = '{"id":"evt_1"}'): Envelope {
  return buildEnvelope(
    {
      id: newEventId(),
      receivedAt: Date.now(),
      source,
      method: 'POST',
      routePath: `/hooks/${source}`,
      path: `/hooks/${source}`,
      rawQueryString: '',
      rawHeaders: ['content-type', 'application/json'],
      body: Buffer.from(body),
      sourceIp: '127.0.0.1',
      protocol: 'HTTP/1.1',
      domainName: 'localhost',
      verified: true,
      verifier: 'none',
    },
    { condition: 'Success', response: { statusCode: 204, headers: {}, body: null, isBase64Encoded: false } },
  );
}
