import t from 'tap';
import { createHmac } from 'node:crypto';
import { buildIngress } from '../../src/ingress/app.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { rawExchange } from '../helpers/raw-http.js';
import { freePort } from '../helpers/redis-server.js';
import { eventually, ingress, STRIPE_SECRET, stripeSignature } from './harness.js';

const stripeSource = { verify: { type: 'stripe', secrets: [STRIPE_SECRET] } };
const event = (id = 'evt_1', type = 'invoice.paid') => JSON.stringify({ id, object: 'event', type });

/** `signature: null` sends none. */
function stripePost(body: string, signature: string | null = stripeSignature(body)) {
  return {
    method: 'POST' as const,
    url: '/hooks/stripe',
    headers: {
      'content-type': 'application/json',
      ...(signature !== null ? { 'stripe-signature': signature } : {}),
    },
    payload: body,
  };
}

const SLACK_SECRET = 'slack-signing-secret';
function slackHeaders(body: string, secret = SLACK_SECRET, ts = Math.floor(Date.now() / 1000)) {
  const sig = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${sig}` };
}

t.test('verified and stored: 204 with hookgate-event-id, the stored event carries that id', async (t) => {
  const h = await ingress(t, { sources: { stripe: stripeSource } });
  const res = await h.app.inject(stripePost(event()));
  t.equal(res.statusCode, 204);
  t.equal(res.body, '');
  const id = res.headers['hookgate-event-id'] as string;
  t.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'a ULID');
  const [stored, ...more] = await h.stored();
  t.equal(more.length, 0, 'one event stored');
  t.equal(stored?.eventId, id);
  t.equal(stored?.source, 'stripe');
  t.equal(stored?.dedupeKey, 'evt_1');
  t.equal(stored?.record.id, id);
  t.equal(stored?.record.requestContext.dedupeKey, 'evt_1');
  t.equal(await h.metric('hookgate_ingress_requests_total', { source: 'stripe', status: '204' }), 1);
  const durations = (await h.metrics.registry.getSingleMetric('hookgate_ingress_duration_seconds')!.get())
    .values;
  t.ok(
    durations.some(
      (v) =>
        (v as { metricName?: string }).metricName === 'hookgate_ingress_duration_seconds_count' &&
        v.labels.source === 'stripe' &&
        v.value === 1,
    ),
    'one duration observed',
  );
});

t.test("the source's configured response", async (t) => {
  const h = await ingress(t, {
    sources: {
      stripe: {
        ...stripeSource,
        response: { status: 202, body: { received: true }, headers: { 'X-Hook': 'yes' } },
      },
      text: { response: { status: 200, body: 'ok' } },
    },
  });
  const res = await h.app.inject(stripePost(event()));
  t.equal(res.statusCode, 202);
  t.same(res.json(), { received: true });
  t.equal(res.headers['x-hook'], 'yes');
  t.match(res.headers['content-type'], /^application\/json/);
  const record = (await h.record(res.headers['hookgate-event-id'] as string))!;
  t.same(record.responsePayload, {
    statusCode: 202,
    headers: { 'x-hook': 'yes', 'content-type': 'application/json; charset=utf-8' },
    body: '{"received":true}',
    isBase64Encoded: false,
  });
  t.same(record.responseContext, { statusCode: 202 });

  const text = await h.app.inject({ method: 'POST', url: '/hooks/text', payload: 'x' });
  t.equal(text.statusCode, 200);
  t.equal(text.body, 'ok');
  t.ok(text.headers['hookgate-event-id']);
});

t.test('a duplicate Stripe delivery is stored once and answered with the same id', async (t) => {
  const h = await ingress(t, { sources: { stripe: stripeSource } });
  const body = event('evt_dup');
  const first = await h.app.inject(stripePost(body));
  // Stripe's retry: same event, new signature (new timestamp).
  const second = await h.app.inject(
    stripePost(body, stripeSignature(body, { timestamp: Math.floor(Date.now() / 1000) - 1 })),
  );
  t.equal(first.statusCode, 204);
  t.equal(second.statusCode, 204);
  t.equal(second.headers['hookgate-event-id'], first.headers['hookgate-event-id']);
  const stored = await h.stored();
  t.equal(stored.length, 1);
  t.equal(stored[0]!.record.id, first.headers['hookgate-event-id']);

  const other = await h.app.inject(stripePost(event('evt_other')));
  t.not(other.headers['hookgate-event-id'], first.headers['hookgate-event-id']);
  t.equal((await h.stored()).length, 2);
});

t.test('dedupe on a configured header or body path, or off', async (t) => {
  const h = await ingress(t, {
    sources: {
      byheader: { dedupe: { header: 'X-Delivery' } },
      bybody: { dedupe: { body: 'data.id' } },
      off: { dedupe: false },
    },
  });
  const send = (source: string, payload: string, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: 'POST',
      url: `/hooks/${source}`,
      payload,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const a = await send('byheader', '{"n":1}', { 'x-delivery': 'd-1' });
  const b = await send('byheader', '{"n":2}', { 'x-delivery': 'd-1' });
  t.equal(b.headers['hookgate-event-id'], a.headers['hookgate-event-id']);
  const c = await send('bybody', '{"data":{"id":42}}');
  const d = await send('bybody', '{"data":{"id":42},"again":true}');
  t.equal(d.headers['hookgate-event-id'], c.headers['hookgate-event-id']);
  const e = await send('off', '{"id":"same"}');
  const f = await send('off', '{"id":"same"}');
  t.not(f.headers['hookgate-event-id'], e.headers['hookgate-event-id']);
  t.equal((await h.stored()).length, 4);
});

t.test('Slack url_verification: verified first, answered with the challenge, not stored', async (t) => {
  const h = await ingress(t, { sources: { slack: { verify: { type: 'slack', secrets: [SLACK_SECRET] } } } });
  const body = JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' });
  const res = await h.app.inject({
    method: 'POST',
    url: '/hooks/slack',
    headers: { 'content-type': 'application/json', ...slackHeaders(body) },
    payload: body,
  });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { challenge: 'c-123' });
  const forged = await h.app.inject({
    method: 'POST',
    url: '/hooks/slack',
    headers: { 'content-type': 'application/json', ...slackHeaders(body, 'wrong-secret') },
    payload: body,
  });
  t.equal(forged.statusCode, 401);
  t.equal((await h.stored()).length, 0);

  // An ordinary event on the same source is stored, deduped on Slack's event_id.
  const ev = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } });
  const ok = await h.app.inject({
    method: 'POST',
    url: '/hooks/slack',
    headers: { 'content-type': 'application/json', ...slackHeaders(ev) },
    payload: ev,
  });
  t.equal(ok.statusCode, 204);
  const stored = await h.stored();
  t.equal(stored.length, 1);
  t.equal(stored[0]!.record.requestContext.dedupeKey, 'Ev1');
});

t.test('Slack ssl_check=1 (unsigned form post): 200, not stored', async (t) => {
  const h = await ingress(t, { sources: { slack: { verify: { type: 'slack', secrets: [SLACK_SECRET] } } } });
  const res = await h.app.inject({
    method: 'POST',
    url: '/hooks/slack',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'ssl_check=1&token=abc',
  });
  t.equal(res.statusCode, 200);
  t.equal(res.body, '');
  t.equal((await h.stored()).length, 0);
  // Only for Slack sources: elsewhere the form is an ordinary, verified request.
  const h2 = await ingress(t, { sources: { stripe: stripeSource } });
  const other = await h2.app.inject({
    method: 'POST',
    url: '/hooks/stripe',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'ssl_check=1',
  });
  t.equal(other.statusCode, 401);
});

t.test(
  '401 for a missing, malformed, wrong or expired signature; nothing stored; reason in metrics only',
  async (t) => {
    const h = await ingress(t, { sources: { stripe: stripeSource } });
    const body = event('evt_401');
    const cases: [string, string | null][] = [
      ['missing', null],
      ['malformed', 'garbage'],
      ['mismatch', stripeSignature(body, { secret: 'whsec_someone_else' })],
      ['expired', stripeSignature(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 })],
    ];
    for (const [reason, signature] of cases) {
      const res = await h.app.inject(stripePost(body, signature));
      t.equal(res.statusCode, 401, reason);
      t.same(res.json(), {
        error: { code: 'SIGNATURE_INVALID', message: 'The request signature could not be verified.' },
      });
      t.notOk(res.headers['hookgate-event-id']);
      t.equal(
        await h.metric('hookgate_verification_failures_total', { source: 'stripe', reason }),
        1,
        reason,
      );
    }
    // A tampered body under a valid signature.
    const tampered = await h.app.inject(stripePost(event('evt_401', 'x'), stripeSignature(body)));
    t.equal(tampered.statusCode, 401);
    t.equal((await h.stored()).length, 0);
    const logged = h.logs
      .map((l) => JSON.parse(l) as { msg?: string; reason?: string })
      .filter((l) => l.msg === 'signature verification failed');
    t.same(
      logged.map((l) => l.reason),
      ['missing', 'malformed', 'mismatch', 'expired', 'mismatch'],
    );
  },
);

t.test(
  '401 from a basic source carries a Basic challenge (senders such as Twilio wait for one); others none',
  async (t) => {
    const h = await ingress(t, {
      sources: { stripe: stripeSource, form: { verify: { type: 'basic', secrets: ['hooks:s3cret'] } } },
    });
    const basic = (credentials?: string) =>
      h.app.inject({
        method: 'POST',
        url: '/hooks/form',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(credentials ? { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } : {}),
        },
        payload: 'a=1',
      });
    for (const credentials of [undefined, 'hooks:wrong']) {
      const res = await basic(credentials);
      t.equal(res.statusCode, 401, String(credentials));
      t.equal(res.headers['www-authenticate'], 'Basic realm="hookgate", charset="UTF-8"');
      t.equal(res.json<{ error: { code: string } }>().error.code, 'SIGNATURE_INVALID');
    }
    const accepted = await basic('hooks:s3cret');
    t.equal(accepted.statusCode, 204);
    t.notOk(accepted.headers['www-authenticate']);
    const stripe = await h.app.inject(stripePost(event(), null));
    t.equal(stripe.statusCode, 401);
    t.notOk(stripe.headers['www-authenticate'], 'no HTTP auth scheme to challenge with');
  },
);

t.test('404 for an unknown path, 405 (with allow) for another method on a source path', async (t) => {
  const h = await ingress(t, {
    sources: { stripe: stripeSource, orders: { path: '/in/orders', methods: ['put', 'PATCH'] } },
  });
  const missing = await h.app.inject({ method: 'POST', url: '/hooks/nope', payload: '{}' });
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { error: { code: 'NOT_FOUND', message: 'No source is configured at this path.' } });

  const get = await h.app.inject({ method: 'GET', url: '/hooks/stripe' });
  t.equal(get.statusCode, 405);
  t.equal(get.headers.allow, 'POST');
  t.equal(get.json<{ error: { code: string } }>().error.code, 'METHOD_NOT_ALLOWED');

  const post = await h.app.inject({ method: 'POST', url: '/in/orders?x=1', payload: 'a' });
  t.equal(post.statusCode, 405);
  t.equal(post.headers.allow, 'PUT, PATCH');
  const put = await h.app.inject({ method: 'PUT', url: '/in/orders', payload: 'a' });
  t.equal(put.statusCode, 204);
  t.equal(await h.metric('hookgate_ingress_requests_total', { source: 'orders', status: '405' }), 1);
  t.equal(await h.metric('hookgate_ingress_requests_total', { source: '', status: '404' }), 1);
});

t.test('404 and 405 win over 413: a large body to the wrong path or method', async (t) => {
  const h = await ingress(t, { server: { bodyLimit: '1kb' }, sources: { open: {} } });
  const big = 'x'.repeat(5000);
  const missing = await h.app.inject({ method: 'POST', url: '/hooks/nope', payload: big });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
  const put = await h.app.inject({ method: 'PUT', url: '/hooks/open', payload: big });
  t.equal(put.statusCode, 405);
  t.equal(put.headers.allow, 'POST');
  t.equal(put.json<{ error: { code: string } }>().error.code, 'METHOD_NOT_ALLOWED');
  const tooLarge = await h.app.inject({ method: 'POST', url: '/hooks/open', payload: big });
  t.equal(tooLarge.statusCode, 413);
  t.equal((await h.stored()).length, 0);
});

t.test('413 for a body over bodyLimit, in the error format', async (t) => {
  const h = await ingress(t, { server: { bodyLimit: '1kb' }, sources: { open: {} } });
  const res = await h.app.inject({ method: 'POST', url: '/hooks/open', payload: 'x'.repeat(1025) });
  t.equal(res.statusCode, 413);
  t.same(res.json(), {
    error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 1024 bytes.' },
  });
  const fits = await h.app.inject({ method: 'POST', url: '/hooks/open', payload: 'x'.repeat(1024) });
  t.equal(fits.statusCode, 204);
  t.equal((await h.stored()).length, 1);
});

t.test("malformed URLs and unparseable requests: 4xx in the error format, not the framework's", async (t) => {
  const h = await ingress(t, { sources: { open: {} } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as { port: number };

  const badUrl = await rawExchange(
    port,
    'POST /hooks/%E0%A4%A HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz',
  );
  t.equal(badUrl.status, 400);
  t.same(badUrl.body, { error: { code: 'BAD_REQUEST', message: 'The request could not be read.' } });

  const badChunk = await rawExchange(
    port,
    'POST /hooks/open HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  );
  t.equal(badChunk.status, 400);
  t.same(badChunk.body, { error: { code: 'BAD_REQUEST', message: 'The request could not be read.' } });

  const bigHeader = await rawExchange(
    port,
    `POST /hooks/open HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\nContent-Length: 1\r\n\r\nz`,
  );
  t.equal(bigHeader.status, 431);
  t.same(bigHeader.body, {
    error: { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large.' },
  });

  const noHost = await rawExchange(
    port,
    'POST /hooks/open HTTP/1.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz',
  );
  t.equal(noHost.status, 400);
  t.same(noHost.body, { error: { code: 'BAD_REQUEST', message: 'The request has no Host header.' } });
  t.equal((await h.stored()).length, 0, 'nothing stored');
});

t.test('429 with retry-after past the per-source rate limit', async (t) => {
  const h = await ingress(t, { sources: { limited: { rateLimit: { max: 2, window: '1m' } }, free: {} } });
  const send = (source: string) => h.app.inject({ method: 'POST', url: `/hooks/${source}`, payload: '{}' });
  t.equal((await send('limited')).statusCode, 204);
  t.equal((await send('limited')).statusCode, 204);
  const res = await send('limited');
  t.equal(res.statusCode, 429);
  const retryAfter = Number(res.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
  t.same(res.json(), {
    error: { code: 'RATE_LIMITED', message: 'Too many requests for this source; retry later.' },
  });
  t.equal((await send('free')).statusCode, 204, 'other sources are not limited');
  t.equal((await h.stored()).length, 3);

  // The counter is in Redis: a second gateway instance on the same prefix shares it.
  const second = await buildIngress({
    config: h.config,
    logger: createLogger('silent'),
    metrics: createMetrics({ defaults: false }),
    intakeWriter: h.intakeWriter,
  });
  t.teardown(() => second.close());
  const other = await second.inject({ method: 'POST', url: '/hooks/limited', payload: '{}' });
  t.equal(other.statusCode, 429, "the second instance sees the first one's count");
  t.equal((await h.stored()).length, 3, 'nothing stored past the limit');
});

t.test('Redis unreachable: 503 with retry-after, readyz 503, healthz 200', async (t) => {
  const port = await freePort();
  const h = await ingress(
    t,
    {
      server: { enqueueTimeout: '300ms' },
      sources: { stripe: { ...stripeSource, rateLimit: { max: 100 } } },
    },
    { redisUrl: `redis://127.0.0.1:${port}` },
  );
  const res = await h.app.inject(stripePost(event()));
  t.equal(res.statusCode, 503);
  t.ok(Number(res.headers['retry-after']) > 0);
  t.same(res.json(), {
    error: { code: 'STORE_UNAVAILABLE', message: 'The event could not be stored; retry later.' },
  });
  t.notOk(res.headers['hookgate-event-id']);
  t.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
  const health = await h.app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok' });
});

t.test('readyz is 200 when Redis answers', async (t) => {
  const h = await ingress(t, { sources: {} });
  const res = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ready' });
});

t.test('ack: immediate answers first, then stores', async (t) => {
  const h = await ingress(t, { sources: { fast: { ack: 'immediate' } } });
  const res = await h.app.inject({ method: 'POST', url: '/hooks/fast', payload: '{"a":1}' });
  t.equal(res.statusCode, 204);
  const id = res.headers['hookgate-event-id'] as string;
  const record = await eventually(() => h.record(id));
  t.equal(record.requestPayload.body, '{"a":1}');
});

t.test('ack: immediate with Redis unreachable: answered, then counted as lost', async (t) => {
  const port = await freePort();
  const h = await ingress(
    t,
    { server: { enqueueTimeout: '200ms' }, sources: { fast: { ack: 'immediate' } } },
    { redisUrl: `redis://127.0.0.1:${port}` },
  );
  const res = await h.app.inject({ method: 'POST', url: '/hooks/fast', payload: '{}' });
  t.equal(res.statusCode, 204);
  await eventually(async () =>
    (await h.metric('hookgate_records_lost_total', { source: 'fast' })) === 1 ? true : undefined,
  );
  t.ok(
    h.logs.some((l) => l.includes('record lost') && l.includes(res.headers['hookgate-event-id'] as string)),
  );
});

t.test('signatures and secrets never reach the logs', async (t) => {
  const h = await ingress(t, { sources: { stripe: stripeSource } });
  const body = event('evt_log');
  const good = stripeSignature(body);
  const bad = stripeSignature(body, { secret: 'whsec_wrong' });
  await h.app.inject(stripePost(body, good));
  await h.app.inject(stripePost(body, bad));
  const all = h.logs.join('');
  t.ok(h.logs.length >= 3, 'requests were logged');
  for (const secretish of [STRIPE_SECRET, good, bad, good.split('v1=')[1]!, bad.split('v1=')[1]!]) {
    t.notOk(all.includes(secretish), 'not in the logs');
  }
  const line = h.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'request' && l.status === 204);
  t.match(line, { source: 'stripe', status: 204, method: 'POST', path: '/hooks/stripe' });
  t.type(line?.eventId, 'string');
  t.type(line?.durationMs, 'number');
  t.equal(line?.level, 20, 'a 2xx is logged at debug');
  const refused = h.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'request' && l.status === 401);
  t.equal(refused?.level, 30, 'a refusal at info');
});
