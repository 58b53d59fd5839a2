import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { buildIngress } from '../../src/ingress/app.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createIntakeWriter } from '../../src/queue/intake-writer.js';
import { decodeStored, encodeRouted } from '../../src/queue/stored-event.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { startUpstream } from '../proxy/upstream.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness, TOKEN } from './harness.js';

/**
 * Proxy-mode records in the console as request → answer pairs: the Events list's
 * "Request → answer" column, the live poll's `answer`, and the Event page's pair,
 * over Redis alone and over the event log (after Redis has let go of the records,
 * so the answers come from PostgreSQL). The gateway is driven with inject(), in
 * front of a real upstream server; a real worker delivers and logs.
 */
function cookieOf(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  return String(Array.isArray(set) ? set[0] : set).split(';')[0]!;
}

for (const mode of ['redis', 'log'] as const) {
  t.test(
    `proxy records as request → answer pairs (${mode === 'log' ? 'event log' : 'Redis only'})`,
    async (t) => {
      const upstream = await startUpstream({ status: 201, body: '{"id":"ord_1"}' });
      const rx = await startHttpReceiver();
      t.teardown(() => Promise.all([upstream.close(), rx.close()]));
      const h = await adminHarness(
        t,
        {
          sources: {
            'orders-api': {
              mode: 'proxy',
              path: '/api/orders',
              methods: ['GET', 'POST'],
              upstream: { url: `${upstream.url}/orders`, timeout: '2s' },
              routes: [{ to: 'events', on: 'always' }],
            },
            stripe: { routes: [{ to: 'events' }] },
          },
          destinations: { events: { type: 'http', url: rx.url } },
        },
        `admin-console-proxy-${mode}`,
        mode === 'log' ? { eventLog: true } : {},
      );
      const worker = h.startWorker();
      const logger = createLogger('silent');
      const intakeWriter = createIntakeWriter({
        redis: h.config.redis,
        retention: h.config.retention.events,
        dedupeRetention: h.config.retention.dedupe,
        enqueueTimeout: 5000,
        logger,
      });
      const ingress = await buildIngress({
        config: h.config,
        logger,
        metrics: createMetrics({ defaults: false }),
        intakeWriter,
      });
      t.teardown(async () => {
        await ingress.close();
        await intakeWriter.close();
      });

      const call = async (method: 'GET' | 'POST', url: string, payload?: string) => {
        const res = await ingress.inject({
          method,
          url,
          ...(payload !== undefined ? { payload, headers: { 'content-type': 'application/json' } } : {}),
        });
        const id = res.headers['hookgate-event-id'];
        t.type(id, 'string', `${method} ${url} has an event id`);
        return { status: res.statusCode, id: String(id) };
      };
      const ok = await call('POST', '/api/orders', '{"sku":"A-1"}');
      upstream.reply({ status: 500, body: '{"error":"database is down"}' });
      const failed = await call('POST', '/api/orders/fail', '{"sku":"B-2"}');
      upstream.reply('stall');
      const slow = await call('GET', '/api/orders/slow');
      t.same(
        [ok.status, failed.status, slow.status],
        [201, 500, 504],
        'the callers got the upstream answers',
      );
      await rx.waitForRequests(3);
      const ids = [ok.id, failed.id, slow.id];
      if (mode === 'log') {
        await waitFor('the records in the log', () => (worker.logWriter!.written >= 3 ? true : undefined));
        await waitFor('Redis let go of the records', async () => {
          const n = await Promise.all(
            ids.map((id) => h.queues.redis.exists(h.queues.partitions[0]!.keys.record(id))),
          );
          return n.every((x) => x === 0) || undefined;
        });
      }

      const signIn = await h.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams([
          ['token', TOKEN],
          ['next', '/admin/'],
        ]).toString(),
      });
      const cookie = cookieOf(signIn);
      const get = (url: string) =>
        h.app.inject({ method: 'GET', url, headers: { cookie, accept: 'text/html' } });

      const expected: [string, string][] = [
        [ok.id, 'POST /api/orders → 201 Success'],
        [failed.id, 'POST /api/orders/fail → 500 Failure (Unhandled)'],
        [slow.id, 'GET /api/orders/slow → 504 Failure (Timeout)'],
      ];

      await t.test('the Events list: a "Request → answer" column', async (t) => {
        const res = await get('/admin/');
        t.equal(res.statusCode, 200);
        t.match(res.body, '<th scope="col">Request → answer</th>');
        for (const [id, text] of expected) {
          const row = new RegExp(`<tr data-id="${id}">.*?</tr>`).exec(res.body)?.[0] ?? '';
          t.match(
            row,
            `<td class="answer condition-${text.includes('Success') ? 'Success' : 'Failure'}">${text}</td>`,
            text,
          );
        }
      });

      await t.test('a webhook row beside them has an empty answer cell', async (t) => {
        const { sampleRecord } = await import('../destinations/record.js');
        const hook = sampleRecord({ eventType: 'invoice.paid' });
        await h.publish(hook);
        const res = await get('/admin/');
        const row = new RegExp(`<tr data-id="${hook.id}">.*?</tr>`).exec(res.body)?.[0] ?? '';
        t.match(row, '<td class="answer"></td>');
      });

      await t.test('the live poll carries the answers', async (t) => {
        const res = await h.app.inject({
          method: 'GET',
          url: '/admin/console/live?source=orders-api',
          headers: { cookie },
        });
        const items = res.json<{ items: { id: string; answer?: string; condition?: string }[] }>().items;
        t.same(
          items.map((i) => [i.id, i.answer]),
          [...expected].reverse(),
          'newest first, each with its answer',
        );
        t.equal(items[0]!.condition, 'Failure');
      });

      await t.test('the Event page: a request → answer section', async (t) => {
        const res = await get(`/admin/console/events/${slow.id}`);
        t.equal(res.statusCode, 200);
        t.match(res.body, '<h2 id="pair">Request → answer</h2>');
        t.match(res.body, '<tr><th scope="row">Method</th><td>GET</td></tr>');
        t.match(res.body, '<tr><th scope="row">Path</th><td><code>/api/orders/slow</code></td></tr>');
        t.match(res.body, '<tr><th scope="row">Status</th><td>504</td></tr>');
        t.match(res.body, '<td class="condition-Failure">Failure</td>');
        t.match(res.body, '<tr><th scope="row">functionError</th><td>Timeout</td></tr>');
        t.match(res.body, '<h2 id="ans">Upstream answer</h2>');
        const good = await get(`/admin/console/events/${ok.id}`);
        t.match(good.body, '<code>POST /api/orders → 201 Success</code>');
        t.match(good.body, '<tr><th scope="row">functionError</th><td>none</td></tr>');
        t.match(good.body, /Answer body \(JSON, \d+ bytes\)/);
      });

      if (mode === 'redis') {
        await t.test('answers are read once per event: the list shows them from its cache', async (t) => {
          // The record rewritten behind the console's back (status 299): the list still
          // shows what it read the first time, so it did not read the record again.
          const key = h.queues.partitions[0]!.keys.record(ok.id);
          const stored = decodeStored((await h.queues.redis.getBuffer(key))!);
          stored.record.responseContext.statusCode = 299;
          await h.queues.redis.set(key, encodeRouted(stored.record, stored.marks ?? {}), 'KEEPTTL');
          const res = await get('/admin/?source=orders-api');
          t.match(res.body, expected[0]![1]);
          t.notMatch(res.body, '→ 299');
          const page = await get(`/admin/console/events/${ok.id}`);
          t.match(
            page.body,
            '<tr><th scope="row">Status</th><td>299</td></tr>',
            'the Event page reads the record',
          );
        });
      }
    },
  );
}

t.test('without a proxy source there is no "Request → answer" column', async (t) => {
  const h = await adminHarness(
    t,
    {
      sources: { stripe: { routes: [{ to: 'events' }] } },
      destinations: { events: { type: 'http', url: 'http://127.0.0.1:9/' } },
    },
    'admin-console-proxy-none',
  );
  const signIn = await h.app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `token=${TOKEN}&next=%2Fadmin%2F`,
  });
  const res = await h.app.inject({ method: 'GET', url: '/admin/', headers: { cookie: cookieOf(signIn) } });
  t.equal(res.statusCode, 200);
  t.notMatch(res.body, 'Request → answer');
});
