import t from 'tap';
import { apiGatewayTime } from '../../src/record/build.js';
import { decodeBody } from '../../src/record/body.js';
import { ingress, STRIPE_SECRET, stripeSignature } from './harness.js';
import { send } from './http-client.js';

/** An ingress listening on 127.0.0.1:0, for requests over real HTTP. */
async function listening(t: Parameters<typeof ingress>[0], raw: Record<string, unknown>) {
  const h = await ingress(t, raw);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const address = h.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { ...h, base: `http://127.0.0.1:${port}`, port };
}

async function recordOf(h: Awaited<ReturnType<typeof listening>>, id: string) {
  const record = await h.record(id);
  if (!record) throw new Error(`no stored event ${id}`);
  return record;
}

t.test('JSON body: the record field by field, as the README documents it', async (t) => {
  const h = await listening(t, {
    sources: { stripe: { verify: { type: 'stripe', secrets: [STRIPE_SECRET] } } },
  });
  // Odd spacing and key order: stored as sent, never re-serialized.
  const body = '{"id": "evt_1Nx",  "type":"invoice.paid", "data": {"object": {"customer": "cus_1"}}}';
  const signature = stripeSignature(body);
  const before = Date.now();
  const res = await send(`${h.base}/hooks/stripe?attempt=1&tag=a&tag=b`, {
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signature,
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
    body,
  });
  const after = Date.now();
  t.equal(res.status, 204);
  const id = res.headers['hookgate-event-id'] as string;
  const r = await recordOf(h, id);

  t.equal(r.version, '1.0');
  t.equal(r.id, id);
  t.equal(r.source, 'stripe');
  const received = Date.parse(r.timestamp);
  t.ok(received >= before && received <= after, 'timestamp is the receipt time');
  t.same(r.requestContext, {
    requestId: id,
    condition: 'Success',
    approximateInvokeCount: 1,
    dedupeKey: 'evt_1Nx',
    eventType: 'invoice.paid',
    verified: true,
    verifier: 'stripe',
  });
  const p = r.requestPayload;
  t.equal(p.version, '2.0');
  t.equal(p.routeKey, 'POST /hooks/stripe');
  t.equal(p.rawPath, '/hooks/stripe');
  t.equal(p.rawQueryString, 'attempt=1&tag=a&tag=b');
  t.same(p.queryStringParameters, { attempt: '1', tag: 'a,b' });
  t.equal(p.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(p.headers['stripe-signature'], signature, 'kept in the record: destinations may re-verify');
  t.equal(p.headers['user-agent'], 'Stripe/1.0 (+https://stripe.com/docs/webhooks)');
  t.equal(p.headers.host, `127.0.0.1:${h.port}`);
  t.ok(
    Object.keys(p.headers).every((k) => k === k.toLowerCase()),
    'header names are lower-case',
  );
  t.same(p.requestContext, {
    requestId: id,
    routeKey: 'POST /hooks/stripe',
    stage: '$default',
    time: apiGatewayTime(received),
    timeEpoch: received,
    domainName: `127.0.0.1:${h.port}`,
    http: {
      method: 'POST',
      path: '/hooks/stripe',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
  });
  t.equal(p.body, body);
  t.equal(p.isBase64Encoded, false);
  t.same(r.responseContext, { statusCode: 204 });
  t.same(r.responsePayload, { statusCode: 204, headers: {}, body: null, isBase64Encoded: false });
});

t.test('form body: stored as the exact text', async (t) => {
  const h = await listening(t, { sources: { forms: {} } });
  const body = 'a=1&b=hello+world&c=%F0%9F%98%80&a=2';
  const res = await send(`${h.base}/hooks/forms`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  t.equal(res.status, 204);
  const r = await recordOf(h, res.headers['hookgate-event-id'] as string);
  t.equal(r.requestPayload.body, body);
  t.equal(r.requestPayload.isBase64Encoded, false);
  t.equal(r.requestPayload.headers['content-type'], 'application/x-www-form-urlencoded');
  t.same(r.requestContext, {
    requestId: r.id,
    condition: 'Success',
    approximateInvokeCount: 1,
    verified: false,
    verifier: 'none',
  });
});

t.test('a body that is not UTF-8: base64, decoding to the exact bytes', async (t) => {
  const h = await listening(t, { sources: { bin: {} } });
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28, 0x80, 0x0a]);
  const res = await send(`${h.base}/hooks/bin`, {
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  t.equal(res.status, 204);
  const r = await recordOf(h, res.headers['hookgate-event-id'] as string);
  t.equal(r.requestPayload.isBase64Encoded, true);
  t.equal(r.requestPayload.body, bytes.toString('base64'));
  t.same(decodeBody(r.requestPayload), bytes);
});

t.test('no body and no content type', async (t) => {
  const h = await listening(t, { sources: { empty: {} } });
  const res = await send(`${h.base}/hooks/empty`, {});
  t.equal(res.status, 204);
  const r = await recordOf(h, res.headers['hookgate-event-id'] as string);
  t.equal(r.requestPayload.isBase64Encoded, false);
  t.ok(r.requestPayload.body === '' || r.requestPayload.body === null);
});

t.test('a body without a content type is kept as sent', async (t) => {
  const h = await listening(t, { sources: { untyped: {} } });
  const res = await send(`${h.base}/hooks/untyped`, { body: 'just bytes {not json' });
  t.equal(res.status, 204);
  const r = await recordOf(h, res.headers['hookgate-event-id'] as string);
  t.equal(r.requestPayload.body, 'just bytes {not json');
  t.notOk('content-type' in r.requestPayload.headers);
});

t.test('repeated headers joined with ",", headers.drop kept out of the record', async (t) => {
  const h = await listening(t, {
    sources: { multi: { headers: { drop: ['Cookie', 'x-internal-token'] } } },
  });
  const res = await send(`${h.base}/hooks/multi`, {
    headers: {
      'content-type': 'text/plain',
      'x-multi': ['one', 'two', 'three'],
      cookie: 'session=abc',
      'X-Internal-Token': 'tok',
      'x-kept': 'yes',
    },
    body: 'hi',
  });
  t.equal(res.status, 204);
  const r = await recordOf(h, res.headers['hookgate-event-id'] as string);
  t.equal(r.requestPayload.headers['x-multi'], 'one,two,three');
  t.equal(r.requestPayload.headers['x-kept'], 'yes');
  t.notOk('cookie' in r.requestPayload.headers);
  t.notOk('x-internal-token' in r.requestPayload.headers);
});

t.test('publicUrl sets domainName; trustProxy honours x-forwarded-*', async (t) => {
  const pub = await listening(t, { server: { publicUrl: 'https://hooks.example.com' }, sources: { s: {} } });
  const a = await send(`${pub.base}/hooks/s`, { body: '{}' });
  const ra = await recordOf(pub, a.headers['hookgate-event-id'] as string);
  t.equal(ra.requestPayload.requestContext.domainName, 'hooks.example.com');

  const proxied = await listening(t, { server: { trustProxy: true }, sources: { s: {} } });
  const b = await send(`${proxied.base}/hooks/s`, {
    headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'edge.example.org' },
    body: '{}',
  });
  const rb = await recordOf(proxied, b.headers['hookgate-event-id'] as string);
  t.equal(rb.requestPayload.requestContext.http.sourceIp, '203.0.113.9');
  t.equal(rb.requestPayload.requestContext.domainName, 'edge.example.org');

  const direct = await listening(t, { sources: { s: {} } });
  const c = await send(`${direct.base}/hooks/s`, {
    headers: { 'x-forwarded-for': '203.0.113.9' },
    body: '{}',
  });
  const rc = await recordOf(direct, c.headers['hookgate-event-id'] as string);
  t.equal(rc.requestPayload.requestContext.http.sourceIp, '127.0.0.1', 'not trusted by default');
});
