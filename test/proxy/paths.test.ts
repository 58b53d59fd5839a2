import t from 'tap';
import { rawRequest } from '../ingress/raw-socket.js';
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

t.test(
  'dot segments: resolved inside the source path, refused (400) when they climb out of it',
  async (t) => {
    const up = await startUpstream({ status: 200 });
    t.teardown(() => up.close());
    const gw = await gateway(t, {
      sources: { orders: { mode: 'proxy', path: '/api/orders', upstream: { url: `${up.url}/orders/base` } } },
    });
    const port = Number(new URL(gw.url).port);
    // Raw requests: an HTTP client would resolve the dots itself before sending.
    const post = (path: string) =>
      rawRequest(port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz`);

    const outside = [
      '/api/orders/..',
      '/api/orders/../../x',
      '/api/orders/a/../../x',
      '/api/orders/%2e%2e/%2e%2e/x',
      '/api/orders/%2E%2E/x',
      '/api/orders/.%2e/x?q=1',
      '/api/orders/%2e./x',
      // Climbing out for an upstream that also splits on %2F or \, cuts ;params or merges slashes.
      '/api/orders/a/..%2F..%2Fx',
      '/api/orders/..%5cx',
      '/api/orders/..;/x',
      '/api/orders//../x',
    ];
    for (const path of outside) {
      const answer = await post(path);
      t.equal(answer.status, 400, path);
      t.same(JSON.parse(answer.body), {
        error: { code: 'BAD_REQUEST', message: "The path's dot segments lead outside the source's path." },
      });
    }
    t.equal(up.requests.length, 0, 'none of them reached the upstream');

    const inside: [path: string, upstream: string][] = [
      ['/api/orders/a/../b', '/orders/base/b'],
      ['/api/orders/./a/%2e/b?x=..', '/orders/base/a/b?x=..'],
      ['/api/orders/a/b/..', '/orders/base/a/'],
      ['/api/orders/a/%2E%2e/', '/orders/base/'],
      ['/api/orders/a%2Fb/...', '/orders/base/a%2Fb/...'],
      ['/api/orders/.well-known', '/orders/base/.well-known'],
    ];
    for (const [path, expected] of inside) {
      const answer = await post(path);
      t.equal(answer.status, 200, path);
      t.equal(up.requests.at(-1)?.url, expected, `${path} → ${expected}`);
    }
  },
);
