import t from 'tap';
import { connect } from 'node:net';
import { parseAnswer, rawRequest, type RawAnswer } from './raw-socket.js';
import { startUpstream } from '../proxy/upstream.js';
import { ingress, STRIPE_SECRET, stripeSignature } from './harness.js';

const stripeSource = { verify: { type: 'stripe', secrets: [STRIPE_SECRET] } };
function stripeRequest(body: string) {
  return {
    method: 'POST' as const,
    url: '/hooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body) },
    payload: body,
  };
}

/**
 * Requests a provider (or anyone) may send that are odd but not wrong: accepted and
 * stored as they came. And whatever is refused is refused with a status and a code
 * that say the same thing.
 */
async function listening(t: Parameters<typeof ingress>[0], raw: Record<string, unknown>) {
  const h = await ingress(t, raw);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as { port: number };
  return { ...h, port };
}

t.test('any content type is accepted and stored as sent: empty, malformed, unknown', async (t) => {
  const h = await listening(t, { sources: { open: {} } });
  const contentTypes = [
    '',
    ' ',
    ';;;',
    'json',
    'text/',
    '/plain',
    'a b/c',
    'application/json; charset="x',
    'x/y; =z',
  ];
  for (const [i, contentType] of contentTypes.entries()) {
    const body = `{"n":${i}}`;
    const res = await rawRequest(
      h.port,
      `POST /hooks/open HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    t.equal(res.status, 204, `content-type ${JSON.stringify(contentType)}: accepted`);
  }
  const records = (await h.stored()).map((j) => j.record);
  t.equal(records.length, contentTypes.length, 'every one stored');
  const sent = records
    .map((r) => [r.requestPayload.headers['content-type'], r.requestPayload.body])
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
  t.same(
    sent,
    // Node trims the header value's surrounding whitespace.
    contentTypes.map((ct, i) => [ct.trim(), `{"n":${i}}`]),
    'the header and the body exactly as sent',
  );
});

t.test('an empty or malformed content type also reaches the API behind a proxy source', async (t) => {
  const up = await startUpstream({ status: 201, body: 'made' });
  t.teardown(() => up.close());
  const h = await listening(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url } } },
  });
  for (const contentType of ['', 'json']) {
    const res = await rawRequest(
      h.port,
      `POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`,
    );
    t.equal(res.status, 201, `content-type ${JSON.stringify(contentType)}`);
    t.equal(res.body, 'made');
    const seen = up.requests.at(-1)!;
    t.equal(seen.headers['content-type'], contentType, 'forwarded as sent');
    t.equal(seen.body.toString(), 'abc');
  }
});

t.test('an expect header other than 100-continue: 417 in the error format', async (t) => {
  const h = await listening(t, { sources: { open: {} } });
  const res = await rawRequest(
    h.port,
    'POST /hooks/open HTTP/1.1\r\nHost: x\r\nExpect: 999-nope\r\nContent-Length: 1\r\n\r\nz',
  );
  t.equal(res.status, 417);
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  t.same(JSON.parse(res.body), {
    error: { code: 'EXPECTATION_FAILED', message: 'The expectation in the expect header cannot be met.' },
  });
  const continued = await rawRequest(
    h.port,
    'POST /hooks/open HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz',
  );
  t.equal(continued.status, 100, '100-continue is still honoured');
  t.match(continued.body, /^HTTP\/1\.1 204 /, 'and the request served');
  t.equal((await h.stored()).length, 1, 'only the 100-continue one stored');
});

/**
 * Sends `prefix` at once, then `slow` one byte at a time, `everyMs` apart, and reports
 * what the server answered and how many bytes of `slow` it had been sent by then.
 */
function trickle(
  port: number,
  prefix: string,
  slow: string,
  everyMs: number,
): Promise<RawAnswer & { sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sent = 0;
    socket.write(prefix);
    const timer = setInterval(() => {
      if (sent < slow.length) socket.write(slow[sent++]!);
    }, everyMs);
    socket.on('data', (d: Buffer) => {
      // Answered: stop sending, as a client does. A byte written after the server closed
      // would draw a reset that can reach the socket before the answer is read.
      clearInterval(timer);
      chunks.push(d);
    });
    // A reset after the answer arrived ends the exchange like a close (which follows).
    socket.on('error', (err) => {
      if (!chunks.length) reject(err);
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ...parseAnswer(Buffer.concat(chunks).toString('latin1')), sent });
    });
  });
}

t.test('a client sending its headers slowly is cut at server.headersTimeout with a 408', async (t) => {
  const h = await listening(t, {
    server: { headersTimeout: '300ms', requestTimeout: '5s' },
    sources: { open: {} },
  });
  // 60 bytes of headers at one byte per 100 ms would take 6 s: the server ends it first.
  const head = `POST /hooks/open HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(14)}\r\nContent-Length: 1\r\n\r\n`;
  const res = await trickle(h.port, '', head, 100);
  t.ok(res.sent < head.length, `cut after ${res.sent} of ${head.length} bytes, before the headers were done`);
  t.equal(res.status, 408);
  t.same(JSON.parse(res.body), {
    error: { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time.' },
  });
});

t.test('a body sent slowly is cut at server.requestTimeout with a 408, and not stored', async (t) => {
  const h = await listening(t, {
    server: { headersTimeout: '200ms', requestTimeout: '500ms' },
    sources: { open: {} },
  });
  // 60 bytes of body at one byte per 100 ms would take 6 s.
  const headers = 'POST /hooks/open HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\n';
  const res = await trickle(h.port, headers, 'b'.repeat(60), 100);
  t.ok(res.sent < 60, `cut after ${res.sent} of 60 body bytes`);
  t.equal(res.status, 408);
  t.equal(
    (JSON.parse(res.body) as { error: { code: string; message: string } }).error.code,
    'REQUEST_TIMEOUT',
  );
  t.equal((await h.stored()).length, 0);
});

t.test('the defaults are tighter than Node’s 60 s: 10 s for headers, 30 s for the request', async (t) => {
  const h = await ingress(t, { sources: { open: {} } });
  t.equal(h.config.server.headersTimeout, 10_000);
  t.equal(h.config.server.requestTimeout, 30_000);
  t.equal(h.app.server.headersTimeout, 10_000);
  t.equal(h.app.server.requestTimeout, 30_000);
});

t.test('a large signed body is deduped without being parsed on the event loop', async (t) => {
  const h = await ingress(t, { server: { bodyLimit: '2mb' }, sources: { stripe: stripeSource } });
  // Deeply nested, the worst case for JSON.parse: its id is read from the text.
  const body = `{"id":"evt_deep","object":"event","d":${'['.repeat(300_000)}${']'.repeat(300_000)}}`;
  const parsedLengths: number[] = [];
  const parse = JSON.parse;
  JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
    parsedLengths.push(String(text).length);
    return parse(text, reviver) as unknown;
  }) as typeof JSON.parse;
  let first, second;
  try {
    first = await h.app.inject(stripeRequest(body));
    second = await h.app.inject(stripeRequest(body));
  } finally {
    JSON.parse = parse;
  }
  t.equal(first.statusCode, 204);
  t.equal(second.headers['hookgate-event-id'], first.headers['hookgate-event-id'], 'deduped on evt_deep');
  t.equal((await h.stored())[0]?.record.requestContext.dedupeKey, 'evt_deep');
  t.ok(
    parsedLengths.every((n) => n < body.length),
    `JSON.parse never given the body (largest input: ${Math.max(0, ...parsedLengths)} chars)`,
  );
});
