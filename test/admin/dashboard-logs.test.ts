import t from 'tap';
import { buildAdmin } from '../../src/admin/app.js';
import { captureLogger } from '../ingress/harness.js';
import { harness, testConfig } from '../worker/harness.js';
import { AUTH, TOKEN } from './harness.js';

interface Line {
  level: number;
  msg: string;
  method?: string;
  path?: string;
  status?: number;
}
const INFO = 30;

t.test('at the default level, dashboard polls, assets and reads are not logged; actions are', async (t) => {
  const config = testConfig({ admin: { token: TOKEN, host: '127.0.0.1', port: 0 } }, 'admin-logs');
  const h = harness(t, config);
  const { logger, lines } = captureLogger();
  logger.level = 'info'; // the default logLevel
  const app = await buildAdmin({
    config,
    logger,
    metrics: h.metrics,
    deadLetters: h.store,
    events: h.events,
    queues: h.queues,
  });
  t.teardown(() => app.close());
  const get = (url: string, headers: Record<string, string> = AUTH) =>
    app.inject({ method: 'GET', url, headers });

  // A few minutes of a signed-in browser and a Prometheus scrape.
  const page = await get('/admin/queues/');
  t.equal(page.statusCode, 200);
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]*static[^"]+)"/g)].map((m) => m[1]!);
  t.ok(assets.length > 0, 'the page loads assets');
  for (let i = 0; i < 20; i++) {
    t.equal((await get('/admin/queues/api/queues?activeQueue=deliveries&status=failed')).statusCode, 200);
    t.equal((await get('/admin/queues/api/redis/stats')).statusCode, 200);
  }
  for (const a of assets)
    t.equal((await get(new URL(a, 'http://x/admin/queues/').pathname)).statusCode, 200, a);
  t.equal((await get('/metrics')).statusCode, 200);
  t.equal((await get('/admin/dead-letters')).statusCode, 200);
  t.equal((await get('/admin/login', {})).statusCode, 200, 'the sign-in form');

  // The operator's actions.
  const signIn = await get(`/admin/login?token=${TOKEN}`, {});
  t.equal(signIn.statusCode, 303);
  const replay = await app.inject({
    method: 'POST',
    url: '/admin/dead-letters/replay',
    headers: AUTH,
    payload: { all: true },
  });
  t.ok(replay.statusCode < 300, `bulk replay: ${replay.statusCode}`);
  t.equal((await get('/admin/logout', {})).statusCode, 303);

  const info = lines.map((l) => JSON.parse(l) as Line).filter((l) => l.level >= INFO);
  t.same(
    info.map((l) => `${l.method} ${l.path} ${l.status}`),
    ['GET /admin/login 303', 'POST /admin/dead-letters/replay 202', 'GET /admin/logout 303'],
    'one info line per action, none for the reads',
  );
  t.notOk(lines.join('').includes(TOKEN), 'the token from ?token= is not logged');

  logger.level = 'debug';
  await get('/admin/queues/api/queues');
  const last = JSON.parse(lines.at(-1)!) as Line;
  t.match(last, { msg: 'admin request', path: '/admin/queues/api/queues', status: 200 }, 'reads at debug');
});
