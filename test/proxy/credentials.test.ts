import { createHmac } from 'node:crypto';
import t from 'tap';
import { call } from './client.js';
import { eventually, gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/**
 * The credential a proxy source checks is the gateway's, not the API's: the API
 * behind it never sees it unless the source says `upstream.forwardCredentials: true`.
 */
t.test('the verified credential stays at the gateway: api-key header, query, bearer, basic', async (t) => {
  const up = await startUpstream({ status: 200 });
  t.teardown(() => up.close());
  const proxy = (path: string, verify: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    mode: 'proxy',
    path,
    verify,
    upstream: { url: `${up.url}/up` },
    ...extra,
  });
  const gw = await gateway(t, {
    sources: {
      header: proxy('/h', { type: 'api-key', secrets: ['k1'] }, { headers: { drop: ['x-api-key'] } }),
      bearer: proxy('/b', { type: 'api-key', name: 'Authorization', secrets: ['k2'] }),
      query: proxy('/q', { type: 'api-key', in: 'query', name: 'key', secrets: ['k3'] }),
      basic: proxy('/basic', { type: 'basic', secrets: ['app:pw'] }),
    },
  });

  const keyed = await call(`${gw.url}/h/x`, { headers: { 'x-api-key': 'k1', 'x-other': 'kept' }, body: 'a' });
  t.equal(keyed.status, 200);
  let seen = up.requests.at(-1)!;
  t.notOk('x-api-key' in seen.headers, 'api-key header withheld');
  t.equal(seen.headers['x-other'], 'kept');
  const record = await eventually(() => gw.record(keyed.headers['hookgate-event-id'] as string));
  t.notOk('x-api-key' in record.requestPayload.headers, 'and, with headers.drop, kept out of the record');

  t.equal((await call(`${gw.url}/b`, { headers: { authorization: 'Bearer k2' }, body: 'a' })).status, 200);
  seen = up.requests.at(-1)!;
  t.notOk('authorization' in seen.headers, 'a bearer key in authorization withheld');

  const q = await call(`${gw.url}/q/items?a=1&key=k3&b=%20x&k%65y=k3&keys=2`, { method: 'POST', body: 'a' });
  t.equal(q.status, 200);
  t.equal(
    up.requests.at(-1)!.url,
    '/up/items?a=1&b=%20x&keys=2',
    'the key parameter (however spelled) removed',
  );

  const basic = Buffer.from('app:pw').toString('base64');
  t.equal(
    (await call(`${gw.url}/basic`, { headers: { authorization: `Basic ${basic}` }, body: 'a' })).status,
    200,
  );
  t.notOk('authorization' in up.requests.at(-1)!.headers, 'basic credentials withheld');
});

t.test('upstream.forwardCredentials: true passes them on; signatures always pass', async (t) => {
  const up = await startUpstream({ status: 200 });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: {
      keyed: {
        mode: 'proxy',
        path: '/k',
        verify: { type: 'api-key', in: 'query', name: 'key', secrets: ['k1'] },
        upstream: { url: up.url, forwardCredentials: true },
      },
      basic: {
        mode: 'proxy',
        path: '/basic',
        verify: { type: 'basic', secrets: ['app:pw'] },
        upstream: { url: up.url, forwardCredentials: true },
      },
      signed: {
        mode: 'proxy',
        path: '/s',
        verify: { type: 'hmac', header: 'x-signature', secrets: ['s'] },
        upstream: { url: up.url },
      },
    },
  });
  t.equal((await call(`${gw.url}/k?key=k1`, { body: 'a' })).status, 200);
  t.equal(up.requests.at(-1)!.url, '/?key=k1');
  const basic = `Basic ${Buffer.from('app:pw').toString('base64')}`;
  t.equal((await call(`${gw.url}/basic`, { headers: { authorization: basic }, body: 'a' })).status, 200);
  t.equal(up.requests.at(-1)!.headers.authorization, basic);
  const signature = createHmac('sha256', 's').update('a').digest('hex');
  t.equal((await call(`${gw.url}/s`, { headers: { 'x-signature': signature }, body: 'a' })).status, 200);
  t.equal(up.requests.at(-1)!.headers['x-signature'], signature, 'the API may check the signature too');
});
