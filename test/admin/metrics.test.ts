import t from 'tap';
import { startAdmin } from '../../src/admin/server.js';
import { validateConfig } from '../../src/config/load.js';
import { createDeadLetterStore } from '../../src/dead-letter/store.js';
import { createEventHistory } from '../../src/events/index.js';
import { startIngress } from '../../src/ingress/server.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { startWorkerRuntime } from '../../src/worker/runtime.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { FAST_RETRY, waitFor } from '../worker/harness.js';
import { TOKEN } from './harness.js';
import { parseSamples, sampleValue, type Sample } from './prometheus-text.js';

async function scrape(
  url: string,
  token = TOKEN,
): Promise<{ status: number; type: string; samples: Sample[] }> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    samples: res.status === 200 ? parseSamples(text) : [],
  };
}

t.test('/metrics of serve and worker after real traffic', async (t) => {
  const ok = await startHttpReceiver();
  const refusing = await startHttpReceiver({ fallback: { status: 422 } });
  t.teardown(() => Promise.all([ok.close(), refusing.close()]));
  const prefix = uniquePrefix('admin-metrics');
  t.teardown(() => dropPrefix(prefix));
  const config = validateConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0, token: TOKEN },
      worker: { adminPort: 0, concurrency: 2 },
      redis: { url: REDIS_URL, prefix },
      defaults: { retry: FAST_RETRY, timeout: '2s' },
      logLevel: 'silent',
      sources: {
        shop: {
          verify: { type: 'api-key', secrets: ['shop-key'] },
          routes: [{ to: 'ok' }, { to: 'refusing' }],
        },
      },
      destinations: {
        ok: { type: 'http', url: ok.url },
        refusing: { type: 'http', url: refusing.url },
      },
    },
    { env: {} },
  );
  const logger = createLogger('silent');

  // What `hookgate serve` runs: the ingress and its admin port, sharing the ingress registry.
  const ingress = await startIngress(config, logger);
  t.teardown(() => ingress.close());
  const serveAdmin = await startAdmin(config, { logger, metrics: ingress.metrics });
  t.teardown(() => serveAdmin.close());
  // What `hookgate worker` runs: the runtime and an admin port of its own (worker.adminPort).
  const workerMetrics = createMetrics();
  const worker = startWorkerRuntime(config, {
    logger,
    metrics: workerMetrics,
    sampleEveryMs: 0,
    sweepEveryMs: 0,
  });
  t.teardown(() => worker.close(2000));
  const workerAdmin = await startAdmin(config, {
    logger,
    metrics: workerMetrics,
    port: config.worker.adminPort,
  });
  t.teardown(() => workerAdmin.close());
  t.not(serveAdmin.url, workerAdmin.url);

  const before = (await scrape(serveAdmin.url!)).samples;
  t.equal(
    sampleValue(before, 'hookgate_ingress_requests_total', { source: 'shop', status: '204' }),
    undefined,
  );

  const post = (key: string, n: number) =>
    fetch(`${ingress.url}/hooks/shop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ order: n }),
    });
  const accepted: string[] = [];
  for (const n of [1, 2]) {
    const res = await post('shop-key', n);
    t.equal(res.status, 204);
    accepted.push(res.headers.get('hookgate-event-id')!);
  }
  t.equal((await post('wrong-key', 3)).status, 401);
  await ok.waitForRequests(2);
  const deadLetters = createDeadLetterStore(worker.store, config);
  const history = createEventHistory(worker.store, config);
  await waitFor('2 dead letters', async () => (await deadLetters.ids()).length === 2);
  // Both events settled: ok delivered, refusing dead-lettered (422 is permanent).
  await waitFor('both events settled', async () => {
    const events = await Promise.all(accepted.map((id) => history.get(id)));
    return events.every(
      (e) =>
        e?.status === 'failed' && e.deliveries.find((d) => d.destination === 'ok')?.status === 'delivered',
    );
  });

  await t.test('serve: ingress counters, verification failures, queue depths, Node defaults', async (t) => {
    const res = await scrape(serveAdmin.url!);
    t.equal(res.status, 200);
    t.match(res.type, /^text\/plain; version=0\.0\.4/);
    const s = res.samples;
    t.equal(sampleValue(s, 'hookgate_ingress_requests_total', { source: 'shop', status: '204' }), 2);
    t.equal(sampleValue(s, 'hookgate_ingress_requests_total', { source: 'shop', status: '401' }), 1);
    t.equal(sampleValue(s, 'hookgate_ingress_duration_seconds_count', { source: 'shop' }), 3);
    const failures = s.filter((x) => x.name === 'hookgate_verification_failures_total');
    t.equal(failures.length, 1);
    t.match(failures[0], { labels: { source: 'shop', reason: /\w/ }, value: 1 });
    // Sampled from Redis at scrape time: nothing else in the serve process samples them.
    t.equal(sampleValue(s, 'hookgate_queue_jobs', { queue: 'deliveries.refusing', state: 'failed' }), 2);
    t.equal(sampleValue(s, 'hookgate_queue_jobs', { queue: 'deliveries.refusing', state: 'waiting' }), 0);
    t.equal(sampleValue(s, 'hookgate_queue_jobs', { queue: 'deliveries.ok', state: 'failed' }), 0);
    t.equal(sampleValue(s, 'hookgate_queue_jobs', { queue: 'deliveries.ok', state: 'waiting' }), 0);
    t.equal(sampleValue(s, 'hookgate_dead_letters', { destination: 'refusing' }), 2);
    t.equal(sampleValue(s, 'hookgate_dead_letters', { destination: 'ok' }), 0);
    t.equal(sampleValue(s, 'hookgate_deliveries_waiting', { destination: 'ok' }), 0);
    t.equal(sampleValue(s, 'hookgate_destination_state', { destination: 'ok', state: 'active' }), 1);
    t.equal(sampleValue(s, 'hookgate_destination_state', { destination: 'ok', state: 'paused' }), 0);
    t.ok(sampleValue(s, 'hookgate_process_cpu_user_seconds_total')! > 0, 'Node default metrics');
    t.ok(sampleValue(s, 'hookgate_nodejs_heap_size_total_bytes')! > 0);
    t.equal(
      sampleValue(s, 'hookgate_deliveries_total', { destination: 'ok' }),
      undefined,
      'not this process',
    );
  });

  await t.test('worker: delivery counters and durations by destination and outcome', async (t) => {
    const res = await scrape(workerAdmin.url!);
    t.equal(res.status, 200);
    const s = res.samples;
    t.equal(sampleValue(s, 'hookgate_deliveries_total', { destination: 'ok', outcome: 'success' }), 2);
    t.equal(
      sampleValue(s, 'hookgate_deliveries_total', { destination: 'refusing', outcome: 'dead_letter' }),
      2,
    );
    t.equal(
      sampleValue(s, 'hookgate_deliveries_total', { destination: 'refusing', outcome: 'retry' }),
      undefined,
    );
    t.equal(sampleValue(s, 'hookgate_delivery_duration_seconds_count', { destination: 'ok' }), 2);
    t.equal(sampleValue(s, 'hookgate_delivery_duration_seconds_count', { destination: 'refusing' }), 2);
    t.equal(sampleValue(s, 'hookgate_dead_letters', { destination: 'refusing' }), 2);
    t.equal(sampleValue(s, 'hookgate_ingress_requests_total', { source: 'shop', status: '204' }), undefined);
  });

  await t.test('both ports want the token', async (t) => {
    for (const url of [serveAdmin.url!, workerAdmin.url!]) {
      t.equal((await scrape(url, 'not-the-token')).status, 401);
      const res = await fetch(`${url}/metrics`);
      t.equal(res.status, 401);
      t.same(await res.json(), {
        error: { code: 'UNAUTHORIZED', message: 'Missing or invalid credentials.' },
      });
    }
  });
});
