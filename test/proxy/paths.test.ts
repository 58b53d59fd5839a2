import t from 'tap';
import { call, json } from './client.js';
import { gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/**
 * Which paths and methods a proxy source answers for: its own path and every sub-path,
 * with the listed methods; anything else is refused before the upstream sees it.
 */
t.test('another method on a sub-path is a 405 with allow, like on the source path', async (t) => {
  const up = await startUpstream({ status: 200 });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: {
      orders: {
        mode: 'proxy',
        path: '/api/orders',
        methods: ['GET', 'POST', 'PUT'],
        upstream: { url: `${up.url}/orders` },
      },
      writeOnly: { mode: 'proxy', path: '/api/notes', methods: ['POST'], upstream: { url: up.url } },
    },
  });
  for (const path of ['/api/orders', '/api/orders/123', '/api/orders/123/items?x=1', '/api/orders/']) {
    const answer = await call(`${gw.url}${path}`, { method: 'DELETE' });
    t.equal(answer.status, 405, `DELETE ${path}`);
    t.equal(answer.headers.allow, 'GET, POST, PUT, HEAD', `DELETE ${path}: allow`);
    t.same(json(answer), {
      error: { code: 'METHOD_NOT_ALLOWED', message: 'This method is not allowed for this source.' },
    });
  }
  const get = await call(`${gw.url}/api/notes/7`, { method: 'GET' });
  t.equal(get.status, 405);
  t.equal(get.headers.allow, 'POST', 'no HEAD without GET');
  const sibling = await call(`${gw.url}/api/orders-archive/1`, { method: 'DELETE' });
  t.equal(sibling.status, 404, 'a sibling path is not a sub-path');
  t.equal(up.requests.length, 0, 'none of them reached the upstream');
  t.equal(await gw.metric('hookgate_ingress_requests_total', { source: 'orders', status: '405' }), 4);
});
