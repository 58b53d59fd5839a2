import { createHmac } from 'node:crypto';
import t from 'tap';
import { call } from './client.js';
import { eventually, gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/** Proxy sources take `requestContext.eventType` from their `eventType` option only. */
t.test('proxy mode: eventType from the source option (header or body path), else none', async (t) => {
  const up = await startUpstream({ status: 201, body: '{"ok":true}' });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: {
      byHeader: { mode: 'proxy', path: '/h', upstream: { url: up.url }, eventType: { header: 'X-Action' } },
      byBody: { mode: 'proxy', path: '/b', upstream: { url: up.url }, eventType: { body: 'order.status' } },
      // A provider's verifier in front of an API: its type is not the API's, so none.
      github: {
        mode: 'proxy',
        path: '/g',
        upstream: { url: up.url },
        verify: { type: 'github', secrets: ['s'] },
      },
    },
  });
  const recordOf = async (path: string, headers: Record<string, string>, body: string) => {
    const answer = await call(`${gw.url}${path}`, {
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    t.equal(answer.status, 201);
    return eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
  };

  t.equal(
    (await recordOf('/h', { 'x-action': 'order.create' }, '{}')).requestContext.eventType,
    'order.create',
  );
  const body = JSON.stringify({ order: { id: 7, status: 'paid' } });
  t.equal((await recordOf('/b', {}, body)).requestContext.eventType, 'paid');
  const signed = '{"action":"opened"}';
  const signature = `sha256=${createHmac('sha256', 's').update(signed).digest('hex')}`;
  const none = await recordOf('/g', { 'x-github-event': 'issues', 'x-hub-signature-256': signature }, signed);
  t.notOk('eventType' in none.requestContext);
});
