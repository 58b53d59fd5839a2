import type { Test } from 'tap';
import t from 'tap';
import { buildAdmin } from '../../src/admin/app.js';
import { createLogger } from '../../src/log.js';
import { deliveryId } from '../../src/worker/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { harness, testConfig, waitFor } from '../worker/harness.js';
import { AUTH, TOKEN } from './harness.js';

const API = '/admin/queues/api/queues';

/**
 * The admin app over a real event that was routed (a completed `events` job) and whose
 * only delivery was refused by its receiver (a dead letter), with `dashboard` as the
 * user writes `admin.dashboard`.
 */
async function withDeadLetter(t: Test, dashboard?: Record<string, unknown>) {
  const refusing = await startHttpReceiver({ fallback: { status: 422, body: 'unprocessable' } });
  t.teardown(() => refusing.close());
  const config = testConfig(
    {
      admin: { token: TOKEN, host: '127.0.0.1', port: 0, ...(dashboard ? { dashboard } : {}) },
      sources: { stripe: { routes: [{ to: 'refusing' }] } },
      destinations: { refusing: { type: 'http', url: refusing.url } },
    },
    'admin-dashboard',
  );
  const h = harness(t, config);
  const app = await buildAdmin({
    config,
    logger: createLogger('silent'),
    metrics: h.metrics,
    deadLetters: h.store,
    events: h.events,
    queues: h.queues,
  });
  t.teardown(() => app.close());
  const worker = h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const failedId = deliveryId(record.id, 'refusing');
  await waitFor(
    'the dead letter',
    async () => (await h.queues.deliveries.getJobState(failedId)) === 'failed',
  );
  await waitFor(
    'the routed event',
    async () => (await h.queues.events.getJobState(record.id)) === 'completed',
  );
  // Stopped, so whatever happens to the jobs next is the dashboard's doing.
  await worker.close(2000);
  const call = (method: string, url: string, payload?: unknown) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: AUTH,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  return { ...h, app, call, record, failedId };
}

t.test('by default the dashboard is read-only: no bull-board write reaches the queues', async (t) => {
  const h = await withDeadLetter(t);
  const { failedId, record } = h;
  const before = {
    deliveries: await h.queues.deliveries.getJobCounts(),
    events: await h.queues.events.getJobCounts(),
    deadLetters: (await h.store.list()).items.map((d) => d.id),
  };
  t.equal(before.deadLetters.length, 1, 'one dead letter to protect');

  const queues = await h.call('GET', API);
  t.equal(queues.statusCode, 200, 'reading works');
  const listed = queues.json<{
    queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[];
  }>();
  t.same(
    listed.queues.map((q) => [q.name, q.readOnlyMode, q.allowRetries]).sort(),
    [
      ['deliveries', true, false],
      ['events', true, false],
    ],
    'bull-board is told: its UI shows no write controls',
  );

  const writes: [string, string, unknown?][] = [
    ['PUT', `${API}/deliveries/obliterate`],
    ['PUT', `${API}/deliveries/empty`],
    ['PUT', `${API}/deliveries/clean/failed`],
    ['PUT', `${API}/deliveries/clean/completed`],
    ['PUT', `${API}/deliveries/retry/failed`],
    ['PUT', `${API}/deliveries/${failedId}/retry`],
    ['PUT', `${API}/deliveries/${failedId}/clean`],
    ['PATCH', `${API}/deliveries/${failedId}/update-data`, { jobData: {} }],
    ['PUT', `${API}/events/retry/completed`],
    ['PUT', `${API}/events/${record.id}/retry`],
    ['PUT', `${API}/events/${record.id}/clean`],
    ['PUT', `${API}/events/obliterate`],
    ['POST', `${API}/events/add`, { name: 'x', data: {} }],
    ['PUT', `${API}/deliveries/pause`],
    ['PUT', `${API}/pause`],
  ];
  for (const [method, url, body] of writes) {
    const res = await h.call(method, url, body);
    t.equal(res.statusCode, 405, `${method} ${url}: 405`);
    t.match(res.json(), { error: { code: 'DASHBOARD_READ_ONLY', message: /hookgate dlq replay/ } });
  }

  t.same(await h.queues.deliveries.getJobCounts(), before.deliveries, 'deliveries untouched');
  t.same(await h.queues.events.getJobCounts(), before.events, 'events untouched');
  t.same(
    (await h.store.list()).items.map((d) => d.id),
    before.deadLetters,
    'the dead letter is still there',
  );
  t.equal(await h.queues.deliveries.getJobState(failedId), 'failed');
  t.equal(await h.queues.events.getJobState(record.id), 'completed');
  t.notOk(await h.queues.deliveries.isPaused(), 'not paused');
});

t.test('admin.dashboard.readOnly: false turns bull-board controls on', async (t) => {
  const h = await withDeadLetter(t, { readOnly: false });
  const listed = (await h.call('GET', API)).json<{ queues: { name: string; readOnlyMode: boolean }[] }>();
  t.same(
    listed.queues.map((q) => q.readOnlyMode),
    [false, false],
  );
  const pause = await h.call('PUT', `${API}/events/pause`);
  t.equal(pause.statusCode, 200, pause.body);
  t.ok(await h.queues.events.isPaused(), 'the opt-in writes');
  await h.queues.events.resume();
});

t.test('admin.dashboard.readOnly must be a boolean', async (t) => {
  t.throws(() => testConfig({ admin: { token: TOKEN, dashboard: { readOnly: 'sometimes' } } }), {
    message: /admin\.dashboard\.readOnly/,
  });
  t.throws(() => testConfig({ admin: { token: TOKEN, dashboard: { readonly: false } } }), {
    message: /admin\.dashboard\.readonly: unknown key/,
  });
});
