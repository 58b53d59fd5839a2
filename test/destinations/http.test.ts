import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createDestination } from '../../src/destinations/index.js';
import { PermanentError, RetryableError } from '../../src/destinations/errors.js';
import { parseRetryAfter } from '../../src/destinations/http.js';
import { httpOptions } from '../../src/destinations/options.js';
import type { Destination } from '../../src/destinations/types.js';
import { VERSION } from '../../src/version.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { conformance, type ConformanceTarget, errorOf } from './conformance.js';
import { sampleRecord } from './record.js';

const SECRET = `whsec_${Buffer.from('hookgate-test-signing-key-32byte').toString('base64')}`;
const live = new AbortController().signal;

function httpDestination(config: Record<string, unknown>, timeoutMs = 10_000): Destination {
  return createDestination('out', httpOptions.parse({ type: 'http', ...config }), {
    defaultTimeout: timeoutMs,
  });
}

conformance('http', async (): Promise<ConformanceTarget> => {
  const rx = await startHttpReceiver({ secret: SECRET });
  let seen = 0;
  return {
    destination: ({ format, timeoutMs }) =>
      httpDestination({ url: `${rx.url}/in`, format, sign: { secret: SECRET } }, timeoutMs),
    async nextDelivered() {
      const requests = await rx.waitForRequests(seen + 1);
      const req = requests[seen++]!;
      return {
        bytes: req.body,
        contentType: req.headers['content-type'],
        eventId: String(req.headers['webhook-id']),
      };
    },
    failNext: () => rx.reply({ status: 503 }),
    broken: () => {
      rx.reply({ status: 400, body: '{"error":"unknown customer"}' });
      return {
        destination: httpDestination({ url: `${rx.url}/in` }),
        message: /answered 400: \{"error":"unknown customer"\}/,
      };
    },
    stallNext() {
      rx.reply('stall');
      return rx.waitForRequests(seen + 1).then(() => void seen++);
    },
    close: () => rx.close(),
  };
});

t.test('http destination specifics', async (t) => {
  let rx: HttpReceiver;
  t.beforeEach(async () => {
    rx = await startHttpReceiver({ secret: SECRET });
  });
  t.afterEach(() => rx.close());

  t.test(
    'signed POST with the Standard Webhooks headers, verified by the standardwebhooks package',
    async (t) => {
      const record = sampleRecord();
      const result = await httpDestination({ url: `${rx.url}/x?y=1`, sign: { secret: SECRET } }).send(
        record,
        live,
      );
      t.same(result.info, { status: 200 });
      const [req] = await rx.waitForRequests(1);
      t.equal(req!.method, 'POST');
      t.equal(req!.url, '/x?y=1');
      t.equal(req!.headers['content-type'], 'application/json');
      t.equal(req!.headers['user-agent'], `hookgate/${VERSION}`);
      t.equal(req!.headers['webhook-id'], record.id);
      t.equal(req!.headers['hookgate-source'], 'stripe');
      t.equal(req!.headers['hookgate-condition'], 'Success');
      t.same(req!.signature, { valid: true });
    },
  );

  t.test('a raw (non-whsec_) secret signs with its own bytes', async (t) => {
    const raw = await startHttpReceiver({ secret: 'plain-shared-secret' });
    t.teardown(() => raw.close());
    await httpDestination({ url: raw.url, sign: { secret: 'plain-shared-secret' } }).send(
      sampleRecord(),
      live,
    );
    const [req] = await raw.waitForRequests(1);
    t.same(req!.signature, { valid: true });
  });

  t.test('a wrong secret fails verification (the check can fail)', async (t) => {
    const other = `whsec_${Buffer.from('another-key-entirely-32-bytes!!!').toString('base64')}`;
    await httpDestination({ url: rx.url, sign: { secret: other } }).send(sampleRecord(), live);
    const [req] = await rx.waitForRequests(1);
    t.equal(req!.signature?.valid, false);
  });

  t.test('unsigned: webhook-id but no signature headers', async (t) => {
    await httpDestination({ url: rx.url }).send(sampleRecord(), live);
    const [req] = await rx.waitForRequests(1);
    t.ok(req!.headers['webhook-id']);
    t.notOk(req!.headers['webhook-signature']);
    t.notOk(req!.headers['webhook-timestamp']);
  });

  t.test('format body: original bytes and content type, binary included', async (t) => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x42]);
    const record = sampleRecord({ body: bytes, contentType: 'application/octet-stream' });
    t.equal(record.requestPayload.isBase64Encoded, true);
    await httpDestination({ url: rx.url, format: 'body', method: 'PUT' }).send(record, live);
    const [req] = await rx.waitForRequests(1);
    t.equal(req!.method, 'PUT');
    t.equal(req!.headers['content-type'], 'application/octet-stream');
    t.ok(req!.body.equals(bytes));
  });

  t.test('form body keeps its content type', async (t) => {
    const record = sampleRecord({ body: 'a=1&b=two', contentType: 'application/x-www-form-urlencoded' });
    await httpDestination({ url: rx.url, format: 'body', sign: { secret: SECRET } }).send(record, live);
    const [req] = await rx.waitForRequests(1);
    t.equal(req!.headers['content-type'], 'application/x-www-form-urlencoded');
    t.equal(req!.body.toString(), 'a=1&b=two');
    t.same(req!.signature, { valid: true });
  });

  t.test('custom headers are templates and cannot override webhook-id', async (t) => {
    const record = sampleRecord();
    await httpDestination({
      url: rx.url,
      headers: { 'X-Event-Type': '{{ body.type }}', authorization: 'Bearer abc', 'webhook-id': 'spoofed' },
    }).send(record, live);
    const [req] = await rx.waitForRequests(1);
    t.equal(req!.headers['x-event-type'], 'invoice.paid');
    t.equal(req!.headers.authorization, 'Bearer abc');
    t.equal(req!.headers['webhook-id'], record.id);
  });

  t.test('a header template naming a missing path is permanent and says which', async (t) => {
    const err = await errorOf(
      httpDestination({ url: rx.url, headers: { 'x-customer': '{{ body.customer }}' } }).send(
        sampleRecord(),
        live,
      ),
    );
    t.ok(err instanceof PermanentError);
    t.equal(err.message, 'template "{{ body.customer }}": body.customer is missing');
    t.equal(rx.requests.length, 0, 'nothing sent');
  });

  t.test('a rendered header value fetch would refuse is permanent and names the header', async (t) => {
    const dest = httpDestination({ url: rx.url, headers: { 'x-customer': '{{ body.name }}' } });
    for (const name of ['日本', 'a\r\nx-injected: 1']) {
      const err = await errorOf(dest.send(sampleRecord({ body: JSON.stringify({ name }) }), live));
      t.ok(err instanceof PermanentError, JSON.stringify(name));
      t.equal(err.message, 'header "x-customer": the rendered value is not a valid HTTP header value');
    }
    await dest.send(sampleRecord({ body: JSON.stringify({ name: 'Café Noël' }) }), live);
    const [req] = await rx.waitForRequests(1);
    t.equal(req!.headers['x-customer'], 'Café Noël', 'Latin-1 is a valid header value');
  });

  t.test('credentials in the URL travel as basic auth, and never into an error', async (t) => {
    const url = new URL(rx.url);
    const record = sampleRecord();
    await httpDestination({ url: `http://hook%40user:p%3Ass@${url.host}/in` }).send(record, live);
    const [req] = await rx.waitForRequests(1);
    t.equal(req!.url, '/in');
    t.equal(req!.headers.authorization, `Basic ${Buffer.from('hook@user:p:ss').toString('base64')}`);

    await httpDestination({
      url: `http://user:pw@${url.host}/in`,
      headers: { authorization: 'Bearer own' },
    }).send(record, live);
    t.equal((await rx.waitForRequests(2))[1]!.headers.authorization, 'Bearer own', 'a custom header wins');

    rx.reply({ status: 500 });
    const err = await errorOf(httpDestination({ url: `http://user:pw@${url.host}/in` }).send(record, live));
    t.ok(err instanceof RetryableError);
    t.notMatch(err.message, /pw/);
  });

  t.test('429 with retry-after seconds', async (t) => {
    rx.reply({ status: 429, headers: { 'retry-after': '7' } });
    const err = await errorOf(httpDestination({ url: rx.url }).send(sampleRecord(), live));
    t.ok(err instanceof RetryableError);
    t.equal((err as RetryableError).retryAfterMs, 7000);
    t.match(err.message, /answered 429/);
  });

  t.test('503 with retry-after as an HTTP-date', async (t) => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    rx.reply({ status: 503, headers: { 'retry-after': at } });
    const err = await errorOf(httpDestination({ url: rx.url }).send(sampleRecord(), live));
    t.ok(err instanceof RetryableError);
    const ms = (err as RetryableError).retryAfterMs!;
    t.ok(ms > 60_000 && ms <= 120_000, `about two minutes, got ${ms}`);
  });

  t.test('408 and 500 are retryable; 404, 410 and 422 are permanent', async (t) => {
    const dest = httpDestination({ url: rx.url });
    for (const status of [408, 500, 502]) {
      rx.reply({ status });
      t.ok((await errorOf(dest.send(sampleRecord(), live))) instanceof RetryableError, `${status}`);
    }
    for (const status of [404, 410, 422]) {
      rx.reply({ status });
      t.ok((await errorOf(dest.send(sampleRecord(), live))) instanceof PermanentError, `${status}`);
    }
  });

  t.test('a redirect is not followed and is permanent', async (t) => {
    rx.reply({ status: 301, headers: { location: 'http://127.0.0.1:1/elsewhere' } });
    const err = await errorOf(httpDestination({ url: rx.url }).send(sampleRecord(), live));
    t.ok(err instanceof PermanentError);
    t.match(err.message, /redirects are not followed; location http:\/\/127\.0\.0\.1:1\/elsewhere/);
    t.equal(rx.requests.length, 1);
  });

  t.test('a reset connection is retryable', async (t) => {
    rx.reply('drop');
    const err = await errorOf(httpDestination({ url: rx.url }).send(sampleRecord(), live));
    t.ok(err instanceof RetryableError, err.message);
  });

  t.test('nothing listening is retryable; the message names the URL and the socket error', async (t) => {
    const closed = await startHttpReceiver();
    const url = `${closed.url}/T0000/B0000`;
    await closed.close();
    const err = await errorOf(httpDestination({ url }).send(sampleRecord(), live));
    t.ok(err instanceof RetryableError);
    t.equal(err.message, `POST ${url}: request failed (ECONNREFUSED)`);
    t.equal((err as RetryableError).status, undefined, 'no answer, no status');
  });

  t.test('errors name the full URL with its credentials masked', async (t) => {
    const { host } = new URL(rx.url);
    rx.reply({ status: 500, body: 'boom' });
    const err = await errorOf(
      httpDestination({ url: `http://user:s3cr3t@${host}/hooks/in?token=abc123&flag&region=eu#frag` }).send(
        sampleRecord(),
        live,
      ),
    );
    t.equal(err.message, `POST http://${host}/hooks/in?token=***&flag&region=*** answered 500: boom`);
    t.equal((await rx.waitForRequests(1))[0]!.url, '/hooks/in?token=abc123&flag&region=eu', 'sent as given');
  });

  t.test('errors carry the status the receiver answered', async (t) => {
    const dest = httpDestination({ url: rx.url });
    for (const [status, type] of [
      [503, RetryableError],
      [429, RetryableError],
      [408, RetryableError],
      [422, PermanentError],
      [302, PermanentError],
    ] as const) {
      rx.reply({ status, headers: status === 302 ? { location: '/x' } : {} });
      const err = await errorOf(dest.send(sampleRecord(), live));
      t.ok(err instanceof type, `${status} is a ${type.name}`);
      t.equal((err as RetryableError | PermanentError).status, status);
    }
  });

  t.test('an already-aborted signal sends nothing', async (t) => {
    const err = await errorOf(httpDestination({ url: rx.url }).send(sampleRecord(), AbortSignal.abort()));
    t.ok(err instanceof RetryableError);
    t.equal(rx.requests.length, 0);
  });
});

/** A bare receiver that counts the TCP connections it accepted; `handle` answers each request. */
async function countingServer(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res));
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

t.test('http connections', async (t) => {
  t.test('sequential sends reuse keep-alive connections, error answers included', async (t) => {
    let n = 0;
    const server = await countingServer((_req, res) => {
      n++;
      if (n === 2) res.writeHead(500).end('x'.repeat(10_000));
      else res.writeHead(n === 3 ? 404 : 200).end('ok');
    });
    t.teardown(() => server.close());
    const dest = httpDestination({ url: server.url });
    t.teardown(() => dest.close());
    await dest.send(sampleRecord(), live);
    t.ok((await errorOf(dest.send(sampleRecord(), live))) instanceof RetryableError);
    t.ok((await errorOf(dest.send(sampleRecord(), live))) instanceof PermanentError);
    for (let i = 0; i < 5; i++) await dest.send(sampleRecord(), live);
    t.equal(n, 8);
    // undici's pool opens a second connection for the second request (the first is
    // still marked busy as it is answered), then the two take turns.
    t.ok(server.connections() <= 2, `at most two connections for eight requests (${server.connections()})`);
  });

  t.test('a response cut off mid-body is retryable', async (t) => {
    const server = await countingServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => req.socket.destroy());
    });
    t.teardown(() => server.close());
    const err = await errorOf(httpDestination({ url: server.url }).send(sampleRecord(), live));
    t.ok(err instanceof RetryableError, err.message);
    t.match(err.message, /response cut off/);
  });

  t.test('the timeout also bounds a response body that never ends', async (t) => {
    const server = await countingServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    t.teardown(() => server.close());
    const err = await errorOf(httpDestination({ url: server.url }, 300).send(sampleRecord(), live));
    t.ok(err instanceof RetryableError, err.message);
    t.equal(err.message, 'timed out after 300ms');
  });

  t.test('close() ends a send in flight as retryable', async (t) => {
    let arrived!: () => void;
    const request = new Promise<void>((resolve) => (arrived = resolve));
    const server = await countingServer(() => arrived());
    t.teardown(() => server.close());
    const dest = httpDestination({ url: `${server.url}/in` });
    const sending = errorOf(dest.send(sampleRecord(), live));
    await request;
    await dest.close();
    const err = await sending;
    t.ok(err instanceof RetryableError, err.message);
    t.equal(err.message, `POST ${server.url}/in: request failed (destination closed)`);
  });

  t.test('a URL that is not http(s) is refused when the destination is built', async (t) => {
    t.throws(() => httpDestination({ url: 'ftp://example.com/in' }), {
      message: 'destinations.out: url: ftp: is not supported (http: or https:)',
    });
  });
});

t.test('parseRetryAfter', async (t) => {
  const now = Date.parse('2026-11-27T10:00:00Z');
  t.equal(parseRetryAfter('0', now), 0);
  t.equal(parseRetryAfter(' 30 ', now), 30_000);
  t.equal(parseRetryAfter('Fri, 27 Nov 2026 10:01:00 GMT', now), 60_000);
  t.equal(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now), 0, 'a past date means now');
  t.equal(parseRetryAfter('soon', now), undefined);
  t.equal(parseRetryAfter(null, now), undefined);
  t.equal(parseRetryAfter('-5', now), undefined);
});

t.test('config refuses a bad header template', async (t) => {
  const r = httpOptions.safeParse({ type: 'http', url: 'http://x', headers: { a: '{{ nope.x }}' } });
  t.equal(r.success, false);
  t.match(
    r.error?.issues[0]?.message ?? '',
    /must start with one of source, headers, query, body, condition/,
  );
});
