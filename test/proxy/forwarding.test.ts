import t from 'tap';
import { call, endToEnd, json } from './client.js';
import { eventually, gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/**
 * What the caller and the upstream see of a proxied call, over real HTTP on both
 * sides: the upstream's answer unchanged, the caller's request forwarded once, with
 * the forwarding headers and without the hop-by-hop ones.
 */
t.test(
  '201: the caller gets exactly the upstream status, headers and body; the record has both',
  async (t) => {
    const up = await startUpstream();
    t.teardown(() => up.close());
    const gw = await gateway(t, {
      sources: { orders: { mode: 'proxy', path: '/api/orders', upstream: { url: `${up.url}/orders` } } },
    });
    const upstreamHeaders = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': '22',
      date: 'Fri, 27 Nov 2026 10:00:00 GMT',
      etag: '"v1"',
      'set-cookie': ['a=1; Path=/', 'b=2; Expires=Wed, 09 Jun 2027 10:18:14 GMT; HttpOnly'],
      'x-request-id': 'req-7',
      // Hop-by-hop: for this connection only, never the caller's.
      connection: 'keep-alive, x-hop',
      'x-hop': 'upstream-only',
    };
    up.reply({ status: 201, headers: upstreamHeaders, body: '{"id":"ord_1","ok":1}\n' });

    const body = JSON.stringify({ sku: 'A-1', qty: 2 });
    const answer = await call(`${gw.url}/api/orders`, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'shop/1.0',
        'x-multi': ['one', 'two'],
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https', // not trusted (trustProxy: false): replaced
        'hookgate-event-id': 'spoofed',
        'proxy-authorization': 'Basic c2VjcmV0',
        connection: 'keep-alive, x-caller-hop',
        'x-caller-hop': 'gateway-only',
      },
      body,
    });

    t.equal(answer.status, 201);
    t.equal(answer.statusMessage, 'Created');
    t.equal(answer.body.toString(), '{"id":"ord_1","ok":1}\n', 'body byte for byte');
    const eventId = answer.headers['hookgate-event-id'] as string;
    t.match(eventId, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'the event id, to find the record by');
    t.same(
      endToEnd(answer.rawHeaders),
      [
        'content-length: 22',
        'content-type: application/json; charset=utf-8',
        'date: Fri, 27 Nov 2026 10:00:00 GMT',
        'etag: "v1"',
        `hookgate-event-id: ${eventId}`,
        'set-cookie: a=1; Path=/',
        'set-cookie: b=2; Expires=Wed, 09 Jun 2027 10:18:14 GMT; HttpOnly',
        'x-request-id: req-7',
      ],
      "the upstream's end-to-end headers, repeated ones still apart, plus the event id; nothing else",
    );

    const [seen] = await up.waitForRequests(1);
    t.equal(seen!.method, 'POST');
    t.equal(seen!.url, '/orders');
    t.equal(seen!.body.toString(), body);
    t.equal(seen!.headers['content-type'], 'application/json');
    t.equal(seen!.headers['user-agent'], 'shop/1.0');
    t.equal(seen!.headers['x-multi'], 'one, two');
    t.equal(seen!.headers['host'], new URL(up.url).host, "the upstream's own host");
    t.equal(seen!.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1', 'the peer appended to the chain');
    t.equal(seen!.headers['x-forwarded-proto'], 'http');
    t.equal(seen!.headers['x-forwarded-host'], new URL(gw.url).host);
    t.equal(seen!.headers['hookgate-event-id'], eventId, "the gateway's event id, not the caller's");
    for (const hop of ['proxy-authorization', 'x-caller-hop'])
      t.notOk(seen!.headers[hop], `${hop} not forwarded`);

    const record = await eventually(() => gw.record(eventId));
    t.equal(record.source, 'orders');
    t.same(record.requestContext, {
      requestId: eventId,
      condition: 'Success',
      approximateInvokeCount: 1,
      verified: false,
      verifier: 'none',
    });
    t.equal(record.requestPayload.routeKey, 'POST /api/orders');
    t.equal(record.requestPayload.rawPath, '/api/orders');
    t.equal(record.requestPayload.body, body);
    t.equal(record.requestPayload.truncated, false);
    t.equal(record.requestPayload.headers['x-multi'], 'one,two', 'the request as the caller sent it');
    t.equal(record.requestPayload.requestContext.http.userAgent, 'shop/1.0');
    t.same(record.responseContext, { statusCode: 201 });
    t.same(record.responsePayload, {
      statusCode: 201,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': '22',
        date: 'Fri, 27 Nov 2026 10:00:00 GMT',
        etag: '"v1"',
        'set-cookie': 'a=1; Path=/,b=2; Expires=Wed, 09 Jun 2027 10:18:14 GMT; HttpOnly',
        'x-request-id': 'req-7',
      },
      body: '{"id":"ord_1","ok":1}\n',
      isBase64Encoded: false,
      truncated: false,
      // Joined, the date's comma makes three "cookies" of two; the list keeps them apart.
      cookies: ['a=1; Path=/', 'b=2; Expires=Wed, 09 Jun 2027 10:18:14 GMT; HttpOnly'],
    });
  },
);

t.test('sub-paths are appended to the upstream path; queries are merged; methods kept', async (t) => {
  const up = await startUpstream({ status: 200, body: 'ok' });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: {
      orders: {
        mode: 'proxy',
        path: '/api/orders',
        methods: ['GET', 'POST', 'PUT', 'DELETE'],
        upstream: { url: `${up.url}/v1/orders?tenant=acme` },
      },
    },
  });

  const cases: [method: string, path: string, upstreamUrl: string][] = [
    ['POST', '/api/orders', '/v1/orders?tenant=acme'],
    [
      'GET',
      '/api/orders/42/items?expand=lines&expand=notes',
      '/v1/orders/42/items?tenant=acme&expand=lines&expand=notes',
    ],
    ['PUT', '/api/orders/42', '/v1/orders/42?tenant=acme'],
    ['DELETE', '/api/orders/a%2Fb?x=%20y', '/v1/orders/a%2Fb?tenant=acme&x=%20y'],
    ['GET', '/api/orders/', '/v1/orders/?tenant=acme'],
  ];
  const ids: string[] = [];
  for (const [method, path, expected] of cases) {
    const answer = await call(`${gw.url}${path}`, { method, ...(method === 'GET' ? {} : { body: 'x' }) });
    t.equal(answer.status, 200, `${method} ${path}`);
    const seen = up.requests.at(-1)!;
    t.equal(seen.method, method);
    t.equal(seen.url, expected, `${method} ${path} → ${expected}`);
    ids.push(answer.headers['hookgate-event-id'] as string);
  }

  const sub = await eventually(() => gw.record(ids[1]!));
  t.equal(sub.requestPayload.routeKey, 'GET /api/orders/{proxy+}', 'greedy path, as API Gateway names it');
  t.equal(sub.requestPayload.rawPath, '/api/orders/42/items');
  t.equal(sub.requestPayload.rawQueryString, 'expand=lines&expand=notes');
  t.same(sub.requestPayload.queryStringParameters, { expand: 'lines,notes' });
  t.same(sub.requestPayload.pathParameters, { proxy: '42/items' }, "API Gateway's {proxy+} parameter");
  const base = await eventually(() => gw.record(ids[0]!));
  t.equal(base.requestPayload.routeKey, 'POST /api/orders');
  t.notOk('pathParameters' in base.requestPayload, 'none on the base path');
  const encoded = await eventually(() => gw.record(ids[3]!));
  t.same(
    encoded.requestPayload.pathParameters,
    { proxy: 'a/b' },
    'decoded (rawPath keeps the encoding as sent)',
  );
  t.equal(encoded.requestPayload.rawPath, '/api/orders/a%2Fb');

  const other = await call(`${gw.url}/api/orders-archive`, { body: 'x' });
  t.equal(other.status, 404, 'a sibling path is not a sub-path');
  t.equal(up.requests.length, cases.length);
});

t.test('the upstream is called exactly once per request, whatever it answers', async (t) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: {
      orders: { mode: 'proxy', path: '/api/orders', upstream: { url: up.url, timeout: '300ms' } },
    },
  });
  up.reply(
    { status: 201 },
    { status: 500 },
    'hangup',
    'stall',
    { status: 503 },
    'hangup',
    { status: 200, headers: { connection: 'close' } },
    { status: 200 },
  );
  const statuses: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    const answer = await call(`${gw.url}/api/orders`, { body: `{"n":${i}}` });
    statuses.push(answer.status);
    ids.push(answer.headers['hookgate-event-id'] as string);
  }
  t.same(statuses, [201, 500, 502, 504, 503, 502, 200, 200]);
  t.equal(up.requests.length, 8, 'one upstream call per request');
  t.same(
    up.requests.map((r) => r.headers['hookgate-event-id']),
    ids,
    'each event id seen by the upstream once, in order',
  );
  t.same(
    up.requests.map((r) => r.body.toString()),
    ids.map((_, i) => `{"n":${i}}`),
  );
  const records = await eventually(async () => {
    const all = await gw.records();
    return all.length === 8 ? all : undefined;
  });
  t.same(new Set(records.map((r) => r.id)), new Set(ids), 'one record per request');
});

t.test('calls to the upstream reuse one keep-alive connection', async (t) => {
  const up = await startUpstream({ status: 200, body: 'ok' });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { orders: { mode: 'proxy', path: '/api/orders', upstream: { url: up.url } } },
  });
  for (let i = 0; i < 5; i++) {
    // `connection: close` from the caller ends the caller's connection only: the
    // upstream side is hookgate's own pool.
    const answer = await call(`${gw.url}/api/orders`, {
      body: `{"n":${i}}`,
      headers: { connection: 'close' },
    });
    t.equal(answer.status, 200);
  }
  t.equal(up.requests.length, 5);
  t.same(
    new Set(up.requests.map((r) => r.remotePort)).size,
    1,
    'five sequential calls, one upstream connection',
  );
});

t.test('verify works in proxy mode: a refused request never reaches the upstream', async (t) => {
  const up = await startUpstream({ status: 200, body: 'ok' });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: {
      keyed: {
        mode: 'proxy',
        path: '/api/keyed',
        verify: { type: 'api-key', in: 'header', name: 'x-api-key', secrets: ['k-old', 'k-new'] },
        upstream: { url: up.url },
      },
      login: {
        mode: 'proxy',
        path: '/api/login',
        verify: { type: 'basic', secrets: ['app:pw'] },
        upstream: { url: up.url },
      },
      signed: {
        mode: 'proxy',
        path: '/api/signed',
        verify: {
          type: 'hmac',
          header: 'x-signature',
          algorithm: 'sha256',
          encoding: 'hex',
          secrets: ['s3cret'],
        },
        upstream: { url: up.url },
      },
    },
  });

  for (const headers of [{}, { 'x-api-key': 'wrong' }] as Record<string, string>[]) {
    const refused = await call(`${gw.url}/api/keyed`, { headers, body: '{}' });
    t.equal(refused.status, 401);
    t.same(json(refused), {
      error: { code: 'SIGNATURE_INVALID', message: 'The request signature could not be verified.' },
    });
    t.notOk(refused.headers['hookgate-event-id'], 'no event: nothing was forwarded');
  }
  const accepted = await call(`${gw.url}/api/keyed`, { headers: { 'x-api-key': 'k-new' }, body: '{}' });
  t.equal(accepted.status, 200);

  const { createHmac } = await import('node:crypto');
  const payload = '{"amount":100}';
  const signature = createHmac('sha256', 's3cret').update(payload).digest('hex');
  const bad = await call(`${gw.url}/api/signed`, {
    headers: { 'x-signature': signature },
    body: '{"amount":999}',
  });
  t.equal(bad.status, 401, 'a body that does not match its signature');
  const good = await call(`${gw.url}/api/signed`, { headers: { 'x-signature': signature }, body: payload });
  t.equal(good.status, 200);

  const challenged = await call(`${gw.url}/api/login`, { body: '{}' });
  t.equal(challenged.status, 401);
  t.equal(challenged.headers['www-authenticate'], 'Basic realm="hookgate", charset="UTF-8"');
  t.notOk(bad.headers['www-authenticate'], 'HMAC schemes have no challenge');

  t.equal(up.requests.length, 2, 'only the verified requests were forwarded');
  t.equal(up.requests[1]!.body.toString(), payload, 'the exact signed bytes');
  t.equal(await gw.metric('hookgate_verification_failures_total', { source: 'keyed', reason: 'missing' }), 1);
  t.equal(
    await gw.metric('hookgate_verification_failures_total', { source: 'keyed', reason: 'mismatch' }),
    1,
  );
  const record = await eventually(() => gw.record(good.headers['hookgate-event-id'] as string));
  t.equal(record.requestContext.verified, true);
  t.equal(record.requestContext.verifier, 'hmac');
});

t.test('HEAD, 204, chunked and content-type-less answers pass through as they are', async (t) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', methods: ['GET', 'POST'], upstream: { url: up.url } } },
  });

  up.reply({ status: 200, headers: { 'content-type': 'text/plain', 'content-length': '11' } });
  const head = await call(`${gw.url}/api/file`, { method: 'HEAD' });
  t.equal(up.requests.at(-1)!.method, 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.headers['content-length'], '11', "the upstream's length, though no body follows");
  t.equal(head.body.length, 0);
  const headRecord = await eventually(() => gw.record(head.headers['hookgate-event-id'] as string));
  t.equal(headRecord.responsePayload.body, null);

  up.reply({ status: 204 });
  const none = await call(`${gw.url}/api`, { body: '{}' });
  t.equal(none.status, 204);
  t.same(endToEnd(none.rawHeaders, ['date']), [
    `hookgate-event-id: ${String(none.headers['hookgate-event-id'])}`,
  ]);

  up.reply({ status: 200, headers: { 'content-length': '3' }, body: 'abc' });
  const untyped = await call(`${gw.url}/api`, { body: '{}' });
  t.equal(untyped.body.toString(), 'abc');
  t.notOk(untyped.headers['content-type'], 'no content-type invented');

  up.reply({ status: 200, headers: { 'content-length': '0' } });
  const empty = await call(`${gw.url}/api`, { body: '{}' });
  t.equal(empty.headers['content-length'], '0');
  t.notOk(empty.headers['content-type']);
  const emptyRecord = await eventually(() => gw.record(empty.headers['hookgate-event-id'] as string));
  t.equal(emptyRecord.responsePayload.body, '', 'an empty body, not none');

  up.reply((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: 1\n\n');
    setImmediate(() => res.end('data: 2\n\n'));
  });
  const stream = await call(`${gw.url}/api/events`, { method: 'GET' });
  t.equal(stream.headers['content-type'], 'text/event-stream');
  t.equal(stream.body.toString(), 'data: 1\n\ndata: 2\n\n');
  const streamRecord = await eventually(() => gw.record(stream.headers['hookgate-event-id'] as string));
  t.equal(streamRecord.responsePayload.body, 'data: 1\n\ndata: 2\n\n');
  t.equal(streamRecord.responsePayload.truncated, false);
});
