import { once } from 'node:events';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { call, json } from './client.js';
import { eventually, gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/**
 * Large bodies: the caller always gets the upstream's whole answer while the record
 * keeps `maxResponseBody` of it; request bodies up to the source's `bodyLimit` stream
 * through (behind header-only verifiers) with only `server.bodyLimit` of them kept for
 * the record, and nothing past the limit reaches the upstream.
 */
t.test('a large response is whole for the caller, truncated in the record', async (t) => {
  const big = 'x'.repeat(1_000_000);
  const up = await startUpstream({ status: 200, headers: { 'content-type': 'text/plain' }, body: big });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url, maxResponseBody: '1kb' } } },
  });
  const answer = await call(`${gw.url}/api`, { body: '{}' });
  t.equal(answer.status, 200);
  t.equal(answer.body.length, big.length, 'every byte for the caller');
  t.ok(answer.body.equals(Buffer.from(big)));

  const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
  t.equal(record.responsePayload.body, 'x'.repeat(1024));
  t.equal(record.responsePayload.truncated, true);
  t.equal(record.requestContext.condition, 'Success', 'truncation is about the record, not the call');
});

t.test('the record is cut at a UTF-8 boundary, so text stays text; binary is base64', async (t) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url, maxResponseBody: 1001 } } },
  });
  up.reply({ status: 200, body: 'é'.repeat(600) }); // 2 bytes each: byte 1001 is half a character
  const text = await call(`${gw.url}/api`, { body: '{}' });
  t.equal(text.body.toString(), 'é'.repeat(600));
  const textRecord = await eventually(() => gw.record(text.headers['hookgate-event-id'] as string));
  t.equal(textRecord.responsePayload.body, 'é'.repeat(500));
  t.equal(textRecord.responsePayload.isBase64Encoded, false);

  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]);
  up.reply({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  const binary = await call(`${gw.url}/api`, { body: '{}' });
  t.ok(binary.body.equals(bytes));
  const binaryRecord = await eventually(() => gw.record(binary.headers['hookgate-event-id'] as string));
  t.equal(binaryRecord.responsePayload.body, bytes.toString('base64'));
  t.equal(binaryRecord.responsePayload.isBase64Encoded, true);
  t.equal(binaryRecord.responsePayload.truncated, false);
});

t.test(
  'bodies past server.bodyLimit stream through a source that allows more; the record keeps server.bodyLimit',
  async (t) => {
    const up = await startUpstream((_req, res, body) => res.end(`got ${body.length}`));
    t.teardown(() => up.close());
    const gw = await gateway(t, {
      server: { bodyLimit: '1kb' },
      sources: {
        upload: {
          mode: 'proxy',
          path: '/upload',
          verify: { type: 'api-key', secrets: ['k'] },
          bodyLimit: '1mb',
          upstream: { url: up.url },
        },
      },
    });
    const body = randomBytes(300_000).toString('hex'); // 600 kB, far past the server's 1 kB
    const answer = await call(`${gw.url}/upload`, { headers: { 'x-api-key': 'k' }, body });
    t.equal(answer.status, 200);
    t.equal(answer.body.toString(), `got ${body.length}`, 'the upstream got all of it');
    t.equal(up.requests[0]!.body.toString(), body);

    const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
    t.equal(record.requestPayload.body, body.slice(0, 1024));
    t.equal(record.requestPayload.truncated, true);
  },
);

t.test('a streamed body reaches the upstream before the caller has finished sending it', async (t) => {
  let firstBytes: () => void = () => {};
  const arrived = new Promise<void>((resolve) => (firstBytes = resolve));
  // An upstream that notices bytes as they come, not once the body is whole.
  const upstream = createServer((req, res) => {
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      firstBytes();
    });
    req.on('end', () => res.end(`got ${size}`));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.teardown(() => new Promise<void>((r) => upstream.close(() => r())));
  const { port } = upstream.address() as AddressInfo;
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: `http://127.0.0.1:${port}` } } },
  });

  const answer = new Promise<string>((resolve, reject) => {
    const req = request(
      `${gw.url}/api`,
      { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.write('first half, ');
    // Only once the upstream has seen bytes does the caller send the rest: through a
    // gateway that buffered the body first, this would never happen.
    void arrived.then(() => req.end('second half'));
  });
  t.equal(await answer, `got ${'first half, second half'.length}`);
});

t.test(
  'signed bodies are read whole and verified first: past bodyLimit is a 413, nothing forwarded',
  async (t) => {
    const up = await startUpstream({ status: 200 });
    t.teardown(() => up.close());
    const gw = await gateway(t, {
      server: { bodyLimit: '1kb' },
      sources: {
        signed: {
          mode: 'proxy',
          path: '/signed',
          verify: { type: 'hmac', header: 'x-signature', secrets: ['s'] },
          upstream: { url: up.url },
        },
      },
    });
    const sign = (body: string) => createHmac('sha256', 's').update(body).digest('hex');
    const tooBig = 'y'.repeat(2048);
    const refused = await call(`${gw.url}/signed`, {
      headers: { 'x-signature': sign(tooBig) },
      body: tooBig,
    });
    t.equal(refused.status, 413);
    t.equal(
      (JSON.parse(refused.body.toString()) as { error: { code: string } }).error.code,
      'PAYLOAD_TOO_LARGE',
    );

    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${gw.url}/signed`,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'x-signature': sign(tooBig) } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.write(tooBig.slice(0, 1000));
      req.end(tooBig.slice(1000));
    });
    t.equal(chunked, 413, 'also without a content-length to refuse on');

    const fits = 'z'.repeat(1000);
    const ok = await call(`${gw.url}/signed`, { headers: { 'x-signature': sign(fits) }, body: fits });
    t.equal(ok.status, 200);
    t.equal(up.requests.length, 1, 'only the one that fitted was forwarded');
    const record = await eventually(() => gw.record(ok.headers['hookgate-event-id'] as string));
    t.equal(record.requestPayload.body, fits);
    t.equal(record.requestPayload.truncated, false);
  },
);

/** An upstream that counts every body byte it is sent, also of calls cut short. */
async function countingUpstream(t: Test) {
  let received = 0;
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => res.end(`got ${received}`));
    req.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    calls: () => calls,
  };
}

/** A chunked POST of `total` bytes in `chunk`-byte writes; resolves with the answer's status and body. */
function chunkedPost(url: string, total: number, chunk: number, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'transfer-encoding': 'chunked', ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', reject);
      },
    );
    // The gateway may answer and close before the whole body is written.
    req.on('error', (err) => reject(err));
    let sent = 0;
    const write = () => {
      while (sent < total) {
        sent += chunk;
        if (!req.write(Buffer.alloc(chunk, 0x61))) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

t.test(
  'bodyLimit holds for streamed bodies: 413, and nothing past the limit reaches the upstream',
  async (t) => {
    const up = await countingUpstream(t);
    const gw = await gateway(t, {
      server: { bodyLimit: '64kb' },
      sources: {
        open: { mode: 'proxy', path: '/open', upstream: { url: up.url } },
        keyed: {
          mode: 'proxy',
          path: '/keyed',
          verify: { type: 'api-key', secrets: ['k'] },
          bodyLimit: '8kb',
          upstream: { url: up.url },
        },
      },
    });

    const declared = await call(`${gw.url}/open`, { body: 'x'.repeat(64 * 1024 + 1) });
    t.equal(declared.status, 413, 'a declared length past the limit');
    t.same(json(declared), {
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 65536 bytes.' },
    });
    t.equal(up.calls(), 0, 'refused before the upstream is called');

    const chunked = await chunkedPost(`${gw.url}/open`, 4 * 1024 * 1024, 16 * 1024).catch(
      (err: NodeJS.ErrnoException) => ({ status: 0, body: err.code ?? '' }),
    );
    t.equal(chunked.status, 413, 'a chunked body of 4 MiB');
    t.equal(
      (JSON.parse(chunked.body) as { error: { code: string; message: string } }).error.code,
      'PAYLOAD_TOO_LARGE',
    );
    t.ok(up.received() <= 64 * 1024, `the upstream got ${up.received()} bytes, at most the 64 KiB limit`);

    const before = up.received();
    const keyed = await chunkedPost(`${gw.url}/keyed`, 100 * 1024, 1024, { 'x-api-key': 'k' });
    t.equal(keyed.status, 413, "the source's own bodyLimit");
    t.equal(
      (JSON.parse(keyed.body) as { error: { code: string; message: string } }).error.message,
      'The request body is larger than 8192 bytes.',
    );
    t.ok(up.received() - before <= 8 * 1024, 'at most 8 KiB forwarded');

    const atLimit = up.received();
    const fits = await chunkedPost(`${gw.url}/keyed`, 8 * 1024, 1024, { 'x-api-key': 'k' });
    t.equal(fits.status, 200, 'a chunked body at the limit passes');
    t.equal(up.received() - atLimit, 8 * 1024, 'whole');
  },
);

t.test('per-source bodyLimit in ack mode, larger or smaller than server.bodyLimit', async (t) => {
  const up = await countingUpstream(t);
  const gw = await gateway(t, {
    server: { bodyLimit: '1kb' },
    sources: {
      big: { bodyLimit: '4kb' },
      small: { bodyLimit: 100 },
      plain: {},
      signed: {
        mode: 'proxy',
        path: '/signed',
        verify: { type: 'hmac', header: 'x-signature', secrets: ['s'] },
        bodyLimit: '2kb',
        upstream: { url: up.url },
      },
    },
  });
  t.equal((await call(`${gw.url}/hooks/big`, { body: 'x'.repeat(3000) })).status, 204);
  t.equal((await call(`${gw.url}/hooks/plain`, { body: 'x'.repeat(3000) })).status, 413);
  const small = await call(`${gw.url}/hooks/small`, { body: 'x'.repeat(101) });
  t.equal(small.status, 413);
  t.same(json(small), {
    error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 100 bytes.' },
  });
  t.equal((await call(`${gw.url}/hooks/small`, { body: 'x'.repeat(100) })).status, 204);

  const body = 'y'.repeat(1500);
  const signed = await call(`${gw.url}/signed`, {
    headers: { 'x-signature': createHmac('sha256', 's').update(body).digest('hex') },
    body,
  });
  t.equal(signed.status, 200, 'a signed proxy body past server.bodyLimit, within its own');
  t.equal(up.received(), 1500);
});
