import t from 'tap';
import { rawRequest } from './raw-socket.js';
import { startUpstream } from '../proxy/upstream.js';
import { ingress } from './harness.js';

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
