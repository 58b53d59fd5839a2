import { createHmac } from 'node:crypto';
import t, { type Test } from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { ingress, STRIPE_SECRET, stripeSignature, type Harness } from './harness.js';

/**
 * `requestContext.eventType`: each verifier's provider type from a request shaped as
 * that provider sends it, and the source's own `eventType` option winning over it.
 */
const SECRET = 'provider-secret';
const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SQUARE_URL = 'https://hooks.example.com/hooks/square';
const now = () => Math.floor(Date.now() / 1000);
const hmac = (key: string | Buffer, data: string, encoding: 'hex' | 'base64') =>
  createHmac('sha256', key).update(data).digest(encoding);

const signers = {
  stripe: (body: string) => ({ 'stripe-signature': stripeSignature(body) }),
  slack: (body: string) => {
    const ts = String(now());
    return {
      'x-slack-request-timestamp': ts,
      'x-slack-signature': `v0=${hmac(SECRET, `v0:${ts}:${body}`, 'hex')}`,
    };
  },
  github: (body: string) => ({ 'x-hub-signature-256': `sha256=${hmac(SECRET, body, 'hex')}` }),
  shopify: (body: string) => ({ 'x-shopify-hmac-sha256': hmac(SECRET, body, 'base64') }),
  paddle: (body: string) => {
    const ts = String(now());
    return { 'paddle-signature': `ts=${ts};h1=${hmac(SECRET, `${ts}:${body}`, 'hex')}` };
  },
  square: (body: string) => ({ 'x-square-hmacsha256-signature': hmac(SECRET, SQUARE_URL + body, 'base64') }),
  'standard-webhooks': (body: string) => {
    const id = `msg_${Math.random().toString(36).slice(2)}`;
    const ts = String(now());
    const key = Buffer.from(WHSEC.slice('whsec_'.length), 'base64');
    return {
      'webhook-id': id,
      'webhook-timestamp': ts,
      'webhook-signature': `v1,${hmac(key, `${id}.${ts}.${body}`, 'base64')}`,
    };
  },
  none: () => ({}),
};
type Provider = keyof typeof signers;

const verify: Record<Provider, Record<string, unknown>> = {
  stripe: { type: 'stripe', secrets: [STRIPE_SECRET] },
  slack: { type: 'slack', secrets: [SECRET] },
  github: { type: 'github', secrets: [SECRET] },
  shopify: { type: 'shopify', secrets: [SECRET] },
  paddle: { type: 'paddle', secrets: [SECRET] },
  square: { type: 'square', secrets: [SECRET], notificationUrl: SQUARE_URL },
  'standard-webhooks': { type: 'standard-webhooks', secrets: [WHSEC] },
  none: { type: 'none' },
};

async function gatewayFor(t: Test, provider: Provider, source: Record<string, unknown> = {}) {
  return ingress(t, { sources: { [provider]: { verify: verify[provider], dedupe: false, ...source } } });
}

/** Posts a signed request and returns the stored record. */
async function post(
  h: Harness,
  provider: Provider,
  body: string,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): Promise<Envelope> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/hooks/${provider}`,
    headers: { 'content-type': contentType, ...headers, ...signers[provider](body) },
    payload: body,
  });
  if (res.statusCode !== 204) throw new Error(`${provider}: ${res.statusCode} ${res.body}`);
  const record = await h.record(res.headers['hookgate-event-id'] as string);
  if (!record) throw new Error('not stored');
  return record;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

t.test('Stripe: body type', async (t) => {
  const h = await gatewayFor(t, 'stripe');
  const body = JSON.stringify({
    id: 'evt_1NxAbc',
    object: 'event',
    api_version: '2024-06-20',
    type: 'invoice.paid',
    data: { object: { id: 'in_1', object: 'invoice', customer: 'cus_1' } },
  });
  const r = await post(h, 'stripe', body);
  t.equal(r.requestContext.eventType, 'invoice.paid');
});

t.test('Square: body type', async (t) => {
  const h = await gatewayFor(t, 'square');
  const body = JSON.stringify({
    merchant_id: '6SSW7HV8K2ST5',
    type: 'payment.created',
    event_id: '13b867cf-db3d-4b1c-90b6-2f32a9d78124',
    created_at: '2026-11-27T10:00:00Z',
    data: { type: 'payment', id: 'KkAkhdMs', object: { payment: { id: 'KkAkhdMs' } } },
  });
  t.equal((await post(h, 'square', body)).requestContext.eventType, 'payment.created');
});

t.test('Paddle: body event_type', async (t) => {
  const h = await gatewayFor(t, 'paddle');
  const body = JSON.stringify({
    event_id: 'evt_01h8bzakzx3hm2fmen703n5q45',
    event_type: 'transaction.completed',
    occurred_at: '2026-11-27T10:00:00.000Z',
    notification_id: 'ntf_01h8bzam1z32agrxjwhjgqk8w6',
    data: { id: 'txn_01h8bz', status: 'completed' },
  });
  t.equal((await post(h, 'paddle', body)).requestContext.eventType, 'transaction.completed');
});

t.test('Standard Webhooks: body type', async (t) => {
  const h = await gatewayFor(t, 'standard-webhooks');
  const body = JSON.stringify({
    type: 'contact.created',
    timestamp: '2026-11-27T10:00:00.344522Z',
    data: { id: '1f81eb52', name: 'Alice' },
  });
  t.equal((await post(h, 'standard-webhooks', body)).requestContext.eventType, 'contact.created');
});

t.test('Slack: the inner event type, else the body type, else the interactivity payload type', async (t) => {
  const h = await gatewayFor(t, 'slack');
  const callback = JSON.stringify({
    token: 'XXYYZZ',
    team_id: 'T123ABC456',
    api_app_id: 'A123ABC456',
    event: { type: 'app_mention', user: 'U123ABC456', text: '<@U0LAN0Z89> hi', ts: '1515449522.000016' },
    type: 'event_callback',
    event_id: 'Ev123ABC456',
    event_time: 1515449522,
  });
  t.equal((await post(h, 'slack', callback)).requestContext.eventType, 'app_mention', 'not event_callback');

  const rateLimited = JSON.stringify({
    token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
    type: 'app_rate_limited',
    team_id: 'T123ABC456',
    minute_rate_limited: 1518467820,
    api_app_id: 'A123ABC456',
  });
  t.equal((await post(h, 'slack', rateLimited)).requestContext.eventType, 'app_rate_limited');

  // Interactivity posts a form whose `payload` field is the JSON.
  const interactive = form({
    payload: JSON.stringify({
      type: 'block_actions',
      team: { id: 'T123ABC456', domain: 'acme' },
      user: { id: 'U123ABC456' },
      trigger_id: '12466734323.1395872398',
      actions: [{ action_id: 'approve', type: 'button', value: 'yes' }],
    }),
  });
  const r = await post(h, 'slack', interactive, {}, 'application/x-www-form-urlencoded');
  t.equal(r.requestContext.eventType, 'block_actions');

  const slash = form({
    command: '/deploy',
    text: 'prod',
    team_id: 'T123ABC456',
    trigger_id: '13345224609.73',
  });
  const command = await post(h, 'slack', slash, {}, 'application/x-www-form-urlencoded');
  t.notOk('eventType' in command.requestContext, 'a slash command names no type');
});

t.test('GitHub: the x-github-event header, plus . and the body action when there is one', async (t) => {
  const h = await gatewayFor(t, 'github');
  const headers = (event: string) => ({ 'x-github-event': event, 'x-github-delivery': '72d3162e-cc78' });
  const opened = JSON.stringify({ action: 'opened', number: 2, pull_request: { id: 1, state: 'open' } });
  t.equal(
    (await post(h, 'github', opened, headers('pull_request'))).requestContext.eventType,
    'pull_request.opened',
  );

  const push = JSON.stringify({ ref: 'refs/heads/main', before: '0000', after: '1111', commits: [] });
  t.equal(
    (await post(h, 'github', push, headers('push'))).requestContext.eventType,
    'push',
    'push has no action',
  );

  // A webhook set to application/x-www-form-urlencoded sends the JSON as `payload`.
  const formBody = form({ payload: JSON.stringify({ action: 'labeled', issue: { number: 7 } }) });
  const r = await post(h, 'github', formBody, headers('issues'), 'application/x-www-form-urlencoded');
  t.equal(r.requestContext.eventType, 'issues.labeled');

  const noHeader = await post(h, 'github', opened);
  t.notOk('eventType' in noHeader.requestContext, 'no header, no type (the action alone names nothing)');
});

t.test('Shopify: the x-shopify-topic header', async (t) => {
  const h = await gatewayFor(t, 'shopify');
  const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '10.00' });
  const r = await post(h, 'shopify', body, {
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': 'example.myshopify.com',
    'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
  });
  t.equal(r.requestContext.eventType, 'orders/create');
});

t.test('the source option wins over the verifier: a header (any case) or a body path', async (t) => {
  const byHeader = await gatewayFor(t, 'stripe', { eventType: { header: 'X-Event-Kind' } });
  const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { object: 'invoice' } } });
  t.equal(
    (await post(byHeader, 'stripe', body, { 'x-event-kind': 'billing' })).requestContext.eventType,
    'billing',
  );
  const missing = await post(byHeader, 'stripe', body);
  t.notOk('eventType' in missing.requestContext, "the option names the field: no fallback to the verifier's");

  const byBody = await gatewayFor(t, 'stripe', { eventType: { body: 'data.object.object' } });
  t.equal((await post(byBody, 'stripe', body)).requestContext.eventType, 'invoice');

  const none = await gatewayFor(t, 'none', { eventType: { body: 'body.meta.kind' } });
  t.equal(
    (await post(none, 'none', JSON.stringify({ meta: { kind: 'signup' } }))).requestContext.eventType,
    'signup',
  );
  const numeric = await post(none, 'none', JSON.stringify({ meta: { kind: 3 } }));
  t.notOk('eventType' in numeric.requestContext, 'only strings are event types');
  const empty = await post(none, 'none', JSON.stringify({ meta: { kind: '' } }));
  t.notOk('eventType' in empty.requestContext, 'empty is none');
});

t.test('absent where nothing names a type', async (t) => {
  const h = await gatewayFor(t, 'none');
  const r = await post(h, 'none', JSON.stringify({ type: 'looks.like.one' }));
  t.notOk('eventType' in r.requestContext, 'verify: none knows no provider');
  const stripe = await gatewayFor(t, 'stripe');
  const noType = await post(stripe, 'stripe', JSON.stringify({ id: 'evt_1', type: 42 }));
  t.notOk('eventType' in noType.requestContext, 'a type that is not a string');
});

t.test('a long event type is cut to 200 characters', async (t) => {
  const h = await gatewayFor(t, 'stripe');
  const r = await post(h, 'stripe', JSON.stringify({ id: 'evt_1', type: 'x'.repeat(100_000) }));
  t.equal(r.requestContext.eventType, 'x'.repeat(200));
});
