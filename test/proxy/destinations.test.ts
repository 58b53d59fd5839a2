import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { call } from './client.js';
import { gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/**
 * End to end, in one process: caller → gateway → upstream, then the real router and
 * delivery worker take the record to HTTP receivers chosen by `on: success | failure | always`.
 */
t.test('success and failure destinations receive request + response', async (t) => {
  const up = await startUpstream();
  const onSuccess = await startHttpReceiver();
  const onFailure = await startHttpReceiver();
  const always = await startHttpReceiver();
  t.teardown(() => Promise.all([up.close(), onSuccess.close(), onFailure.close(), always.close()]));
  const gw = await gateway(t, {
    sources: {
      orders: {
        mode: 'proxy',
        path: '/api/orders',
        upstream: { url: `${up.url}/orders` },
        routes: [
          { to: 'events', on: 'success' },
          { to: 'failures', on: 'failure' },
          { to: 'audit', on: 'always' },
        ],
      },
    },
    destinations: {
      events: { type: 'http', url: onSuccess.url },
      failures: { type: 'http', url: onFailure.url },
      audit: { type: 'http', url: always.url },
    },
  });
  gw.startWorker();

  up.reply(
    { status: 201, headers: { 'content-type': 'application/json' }, body: '{"id":"ord_1"}' },
    { status: 500, headers: { 'content-type': 'text/plain' }, body: 'database is down' },
  );
  const created = await call(`${gw.url}/api/orders`, {
    headers: { 'content-type': 'application/json' },
    body: '{"sku":"A-1"}',
  });
  t.equal(created.status, 201);
  t.equal(created.body.toString(), '{"id":"ord_1"}');
  const crashed = await call(`${gw.url}/api/orders`, {
    headers: { 'content-type': 'application/json' },
    body: '{"sku":"B-2"}',
  });
  t.equal(crashed.status, 500, 'the caller gets the 500 as it was');
  t.equal(crashed.body.toString(), 'database is down');
  const createdId = created.headers['hookgate-event-id'] as string;
  const crashedId = crashed.headers['hookgate-event-id'] as string;

  const [success] = await onSuccess.waitForRequests(1);
  const [failure] = await onFailure.waitForRequests(1);
  await always.waitForRequests(2);
  // Every delivery of both events settled: counts now are final.
  const settled = await gw.settled([createdId, crashedId]);
  t.same(
    settled.map((e) => e.status),
    ['delivered', 'delivered'],
  );
  t.equal(onSuccess.requests.length, 1, 'the 500 did not go to the success destination');
  t.equal(onFailure.requests.length, 1, 'the 201 did not go to the failure destination');
  t.same(always.requests.map((r) => r.headers['webhook-id']).sort(), [createdId, crashedId].sort());

  const ok = JSON.parse(success!.body.toString()) as Envelope;
  t.equal(success!.headers['webhook-id'], createdId);
  t.equal(ok.id, createdId);
  t.equal(ok.requestContext.condition, 'Success');
  t.equal(ok.requestPayload.body, '{"sku":"A-1"}', 'the request');
  t.same(ok.responseContext, { statusCode: 201 });
  t.equal(ok.responsePayload.body, '{"id":"ord_1"}', 'and the response');
  t.equal(ok.responsePayload.headers['content-type'], 'application/json');

  const bad = JSON.parse(failure!.body.toString()) as Envelope;
  t.equal(bad.id, crashedId);
  t.equal(bad.requestContext.condition, 'Failure');
  t.same(bad.responseContext, { statusCode: 500, functionError: 'Unhandled' });
  t.equal(bad.requestPayload.body, '{"sku":"B-2"}');
  t.equal(bad.responsePayload.body, 'database is down');
});

t.test('routes filter on the record, response included', async (t) => {
  const up = await startUpstream({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const big = await startHttpReceiver();
  t.teardown(() => Promise.all([up.close(), big.close()]));
  const gw = await gateway(t, {
    sources: {
      orders: {
        mode: 'proxy',
        path: '/api/orders',
        upstream: { url: up.url },
        routes: [{ to: 'big', on: 'success', filter: { 'body.amount': { $gte: 1000 } } }],
      },
    },
    destinations: { big: { type: 'http', url: big.url } },
  });
  gw.startWorker();
  const small = await call(`${gw.url}/api/orders`, {
    headers: { 'content-type': 'application/json' },
    body: '{"amount":5}',
  });
  const large = await call(`${gw.url}/api/orders`, {
    headers: { 'content-type': 'application/json' },
    body: '{"amount":5000}',
  });
  t.equal(small.status, 200);
  t.equal(large.status, 200);
  const [delivered] = await big.waitForRequests(1);
  // Both settled (the small one matched no route): nothing can still be on its way.
  const settled = await gw.settled([
    small.headers['hookgate-event-id'] as string,
    large.headers['hookgate-event-id'] as string,
  ]);
  t.same(
    settled.map((e) => e.status),
    ['unrouted', 'delivered'],
  );
  t.equal(big.requests.length, 1);
  t.equal(delivered!.headers['webhook-id'], large.headers['hookgate-event-id']);
});
