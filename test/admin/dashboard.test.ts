import type { Test } from 'tap';
import t from 'tap';
import { buildAdmin } from '../../src/admin/app.js';
import { createLogger } from '../../src/log.js';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { harness, testConfig, waitFor } from '../worker/harness.js';
import { AUTH, TOKEN } from './harness.js';

const API = '/admin/queues/api/queues';

/**
 * The admin app over a real event that was routed and whose only delivery was refused
 * by its receiver (a dead letter in the `deliveries.refusing` queue), plus a second
 * destination's queue with a delivery waiting, with `dashboard` as the user writes
 * `admin.dashboard`.
 */
async function withDeadLetter(t: Test, dashboard?: Record<string, unknown>) {
  const refusing = await startHttpReceiver({ fallback: { status: 422, body: 'unprocessable' } });
  t.teardown(() => refusing.close());
  const config = testConfig(
    {
      admin: { token: TOKEN, host: '127.0.0.1', port: 0, ...(dashboard ? { dashboard } : {}) },
      sources: { stripe: { routes: [{ to: 'refusing' }, { to: 'held' }] } },
      destinations: {
        refusing: { type: 'http', url: refusing.url },
        held: { type: 'http', url: refusing.url },
      },
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
  // `held` is paused: its delivery waits in its queue, a job bull-board could retry or clean.
  const { destinationControls } = await import('../../src/queue/controls.js');
  await destinationControls(h.queues).pause('held');
  const worker = h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const failedId = deliveryId(record.id, 'refusing');
  const heldId = deliveryId(record.id, 'held');
  await waitFor(
    'the dead letter',
    async () => (await h.queues.queue('refusing').getJobState(failedId)) === 'failed',
  );
  await waitFor(
    'the waiting delivery',
    async () => (await h.queues.queue('held').getJobState(heldId)) === 'waiting',
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
  return { ...h, app, call, record, failedId, heldId };
}

t.test('by default the dashboard is read-only: no bull-board write reaches the queues', async (t) => {
  const h = await withDeadLetter(t);
  const { failedId, heldId } = h;
  const before = {
    deliveries: await h.queues.queue('refusing').getJobCounts(),
    events: await h.queues.queue('held').getJobCounts(),
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
      ['deliveries.held', true, false],
      ['deliveries.refusing', true, false],
    ],
    'bull-board is told: its UI shows no write controls',
  );

  const writes: [string, string, unknown?][] = [
    ['PUT', `${API}/deliveries.refusing/obliterate`],
    ['PUT', `${API}/deliveries.refusing/empty`],
    ['PUT', `${API}/deliveries.refusing/clean/failed`],
    ['PUT', `${API}/deliveries.refusing/clean/completed`],
    ['PUT', `${API}/deliveries.refusing/retry/failed`],
    ['PUT', `${API}/deliveries.refusing/${failedId}/retry`],
    ['PUT', `${API}/deliveries.refusing/${failedId}/clean`],
    ['PATCH', `${API}/deliveries.refusing/${failedId}/update-data`, { jobData: {} }],
    ['PUT', `${API}/deliveries.held/retry/waiting`],
    ['PUT', `${API}/deliveries.held/${heldId}/promote`],
    ['PUT', `${API}/deliveries.held/${heldId}/clean`],
    ['PUT', `${API}/deliveries.held/obliterate`],
    ['POST', `${API}/deliveries.held/add`, { name: 'x', data: {} }],
    ['PUT', `${API}/deliveries.refusing/pause`],
    ['PUT', `${API}/pause`],
  ];
  for (const [method, url, body] of writes) {
    const res = await h.call(method, url, body);
    t.equal(res.statusCode, 405, `${method} ${url}: 405`);
    t.match(res.json(), { error: { code: 'DASHBOARD_READ_ONLY', message: /hookgate dlq replay/ } });
  }

  t.same(await h.queues.queue('refusing').getJobCounts(), before.deliveries, 'dead letters untouched');
  t.same(await h.queues.queue('held').getJobCounts(), before.events, 'the waiting delivery untouched');
  t.same(
    (await h.store.list()).items.map((d) => d.id),
    before.deadLetters,
    'the dead letter is still there',
  );
  t.equal(await h.queues.queue('refusing').getJobState(failedId), 'failed');
  t.equal(await h.queues.queue('held').getJobState(heldId), 'waiting');
  t.notOk(await h.queues.queue('refusing').isPaused(), 'not paused');
});

t.test('admin.dashboard.readOnly: false turns bull-board controls on', async (t) => {
  const h = await withDeadLetter(t, { readOnly: false });
  const listed = (await h.call('GET', API)).json<{ queues: { name: string; readOnlyMode: boolean }[] }>();
  t.same(
    listed.queues.map((q) => q.readOnlyMode),
    [false, false],
  );
  const pause = await h.call('PUT', `${API}/deliveries.refusing/pause`);
  t.equal(pause.statusCode, 200, pause.body);
  t.ok(await h.queues.queue('refusing').isPaused(), 'the opt-in writes');
  await h.queues.queue('refusing').resume();
});

t.test('admin.dashboard.readOnly must be a boolean', async (t) => {
  t.throws(() => testConfig({ admin: { token: TOKEN, dashboard: { readOnly: 'sometimes' } } }), {
    message: /admin\.dashboard\.readOnly/,
  });
  t.throws(() => testConfig({ admin: { token: TOKEN, dashboard: { readonly: false } } }), {
    message: /admin\.dashboard\.readonly: unknown key/,
  });
});
