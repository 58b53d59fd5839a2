import t from 'tap';
import { dedupeKeyOf, EVENT_TYPE_MAX, eventTypeOf, RequestFields } from '../../src/ingress/request-fields.js';
import { createVerifier } from '../../src/verifiers/index.js';

/** A JSON body that counts how often it is decoded (parseBody reads it with toString). */
function countingBody(json: unknown): { raw: Buffer; reads: () => number } {
  const raw = Buffer.from(JSON.stringify(json));
  let reads = 0;
  const decode = raw.toString.bind(raw);
  raw.toString = (...args: Parameters<Buffer['toString']>) => {
    reads++;
    return decode(...args);
  };
  return { raw, reads: () => reads };
}

t.test('dedupe key and event type share one parse, and header-only schemes need none', async (t) => {
  const stripe = createVerifier({ type: 'stripe', secrets: ['whsec_x'], tolerance: 300_000 });
  const body = countingBody({ id: 'evt_1', type: 'invoice.paid' });
  const fields = new RequestFields({ headers: { 'content-type': 'application/json' }, rawBody: body.raw });
  t.equal(dedupeKeyOf(true, stripe, fields), 'evt_1');
  t.equal(eventTypeOf(undefined, stripe, fields), 'invoice.paid');
  t.equal(body.reads(), 1, 'parsed once for both');

  const shopify = createVerifier({ type: 'shopify', secrets: ['s'] });
  const untouched = countingBody({ id: 1 });
  const headers = { 'x-shopify-event-id': 'e-1', 'x-shopify-topic': 'orders/create' };
  const viaHeaders = new RequestFields({ headers, rawBody: untouched.raw });
  t.equal(dedupeKeyOf(true, shopify, viaHeaders), 'e-1');
  t.equal(eventTypeOf(undefined, shopify, viaHeaders), 'orders/create');
  t.equal(eventTypeOf({ header: 'x-shopify-topic' }, undefined, viaHeaders), 'orders/create');
  t.equal(untouched.reads(), 0, 'never parsed');
});

t.test('a cut event type does not end in half a surrogate pair', async (t) => {
  const fields = (type: string) =>
    new RequestFields({ headers: {}, rawBody: Buffer.from(JSON.stringify({ type })) });
  const emoji = 'x'.repeat(EVENT_TYPE_MAX - 1) + '😀';
  t.equal(eventTypeOf({ body: 'type' }, undefined, fields(emoji)), 'x'.repeat(EVENT_TYPE_MAX - 1));
  const fits = 'x'.repeat(EVENT_TYPE_MAX - 2) + '😀';
  t.equal(eventTypeOf({ body: 'type' }, undefined, fields(fits)), fits, 'exactly the limit is kept whole');
});
