import { createServer } from 'node:net';
import t from 'tap';
import { startAdmin } from '../../src/admin/server.js';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { rawExchange } from '../helpers/raw-http.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { AUTH, TOKEN } from './harness.js';

const logger = createLogger('silent');

function config(admin: Record<string, unknown>, redisUrl = REDIS_URL, prefix = uniquePrefix('admin-server')) {
  return validateConfig({ admin, redis: { url: redisUrl, prefix }, logLevel: 'silent' }, { env: {} });
}

t.test('no token, or an empty one: the admin API is not started', async (t) => {
  for (const admin of [{ port: 0 }, { port: 0, token: '' }]) {
    const running = await startAdmin(config(admin), { logger, metrics: createMetrics({ defaults: false }) });
    t.equal(running.url, undefined);
    t.equal(running.app, undefined);
    await running.close();
  }
  // Interpolated from an unset variable, as in the example config.
  const fromEnv = validateConfig({ admin: { token: '${HOOKGATE_ADMIN_TOKEN:-}' } }, { env: {} });
  t.equal(
    (await startAdmin(fromEnv, { logger, metrics: createMetrics({ defaults: false }) })).url,
    undefined,
  );
});

t.test('with a token: listens on admin.host and the given port, and closes', async (t) => {
  const prefix = uniquePrefix('admin-server');
  t.teardown(() => dropPrefix(prefix));
  const c = config({ host: '127.0.0.1', port: 0, token: TOKEN }, REDIS_URL, prefix);
  const running = await startAdmin(c, { logger, metrics: createMetrics({ defaults: false }) });
  t.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${running.url}/admin/dead-letters`, { headers: AUTH });
  t.equal(res.status, 200);
  t.same(await res.json(), { items: [] });
  await running.close();
  await t.rejects(fetch(`${running.url}/metrics`, { headers: AUTH }), 'no longer listening');
});

t.test('a port in use: one clear error naming the setting', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const c = config({ host: '127.0.0.1', port: 0, token: TOKEN });
  await t.rejects(startAdmin(c, { logger, metrics: createMetrics({ defaults: false }), port }), {
    message: `admin port 127.0.0.1:${port} is already in use (admin.port for serve/dev, worker.adminPort for a worker)`,
  });
});

t.test('Redis away: /metrics still answers with the process counters; the API says 503', async (t) => {
  // A port nothing listens on.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const metrics = createMetrics({ defaults: false });
  metrics.ingressRequests.inc({ source: 'stripe', status: '204' });
  const c = config({ host: '127.0.0.1', port: 0, token: TOKEN }, `redis://127.0.0.1:${deadPort}`);
  const running = await startAdmin(c, { logger, metrics });
  t.teardown(() => running.close());
  const [scrape, list] = await Promise.all([
    fetch(`${running.url}/metrics`, { headers: AUTH }),
    fetch(`${running.url}/admin/dead-letters`, { headers: AUTH }),
  ]);
  t.equal(scrape.status, 200);
  t.match(await scrape.text(), /hookgate_ingress_requests_total\{source="stripe",status="204"\} 1/);
  t.equal(list.status, 503);
  t.equal(list.headers.get('retry-after'), '5');
  t.same(await list.json(), {
    error: { code: 'STORE_UNAVAILABLE', message: 'Redis is not reachable; retry later.' },
  });
});

t.test('malformed requests on the admin port are answered in the error format', async (t) => {
  const prefix = uniquePrefix('admin-server');
  t.teardown(() => dropPrefix(prefix));
  const c = config({ host: '127.0.0.1', port: 0, token: TOKEN }, REDIS_URL, prefix);
  const running = await startAdmin(c, { logger, metrics: createMetrics({ defaults: false }) });
  t.teardown(() => running.close());
  const port = Number(new URL(running.url!).port);
  const exchange = (text: string) => rawExchange(port, text);
  const badUrl = await exchange(
    'GET /admin/events/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  t.equal(badUrl.status, 400);
  t.same(badUrl.body, { error: { code: 'BAD_REQUEST', message: 'The request could not be read.' } });
  const bigHeader = await exchange(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
  t.equal(bigHeader.status, 431);
  t.same(bigHeader.body, {
    error: { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large.' },
  });
});
