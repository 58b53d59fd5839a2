import type { ChildProcess } from 'node:child_process';
import t from 'tap';
import { collect, spawnCli, writeConfig } from '../cli/run.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { TOKEN } from './harness.js';
import { parseSamples, sampleValue } from './prometheus-text.js';

/** Resolves with the `url` of each JSON log line whose msg is given, once all have appeared. */
function urlsFromLogs(child: ChildProcess, messages: string[]): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const found: Record<string, string> = {};
    let buffer = '';
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg && messages.includes(entry.msg) && entry.url) found[entry.msg] = entry.url;
        } catch {
          // not a log line
        }
      }
      if (messages.every((m) => found[m])) {
        child.stdout!.off('data', onData);
        resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited early (${code})`)));
  });
}

async function metricsOf(url: string) {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`GET ${url}/metrics: ${res.status}`);
  return parseSamples(await res.text());
}

t.test('hookgate serve and hookgate worker each run their admin port when admin.token is set', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const prefix = uniquePrefix('admin-cli');
  t.teardown(() => dropPrefix(prefix));
  const { file, cleanup } = writeConfig({
    server: { host: '127.0.0.1', port: 0, shutdownTimeout: '5s' },
    admin: { host: '127.0.0.1', port: 0, token: '${TEST_ADMIN_TOKEN}' },
    worker: { adminPort: 0 },
    redis: { url: REDIS_URL, prefix },
    logLevel: 'info',
    sources: { shop: { routes: [{ to: 'rx' }] } },
    destinations: { rx: { type: 'http', url: rx.url } },
  });
  t.teardown(cleanup);
  const env = { TEST_ADMIN_TOKEN: TOKEN };

  const serve = spawnCli(['serve', '--config', file], { env });
  const serveDone = collect(serve);
  t.teardown(() => void serve.kill('SIGKILL'));
  const worker = spawnCli(['worker', '--config', file], { env });
  const workerDone = collect(worker);
  t.teardown(() => void worker.kill('SIGKILL'));

  const [serveUrls, workerUrls] = await Promise.all([
    urlsFromLogs(serve, ['ingress listening', 'admin API listening']),
    urlsFromLogs(worker, ['admin API listening']),
  ]);
  const serveAdmin = serveUrls['admin API listening']!;
  const workerAdmin = workerUrls['admin API listening']!;
  t.not(serveAdmin, workerAdmin, 'two processes, two admin ports');

  const res = await fetch(`${serveUrls['ingress listening']}/hooks/shop`, {
    method: 'POST',
    body: '{"n":1}',
  });
  t.equal(res.status, 204);
  await rx.waitForRequests(1);

  t.equal(
    sampleValue(await metricsOf(serveAdmin), 'hookgate_ingress_requests_total', {
      source: 'shop',
      status: '204',
    }),
    1,
  );
  // The counter moves once the attempt is logged, a moment after the receiver answered.
  let delivered: number | undefined;
  for (let i = 0; i < 200 && delivered !== 1; i++) {
    delivered = sampleValue(await metricsOf(workerAdmin), 'hookgate_deliveries_total', {
      destination: 'rx',
      outcome: 'success',
    });
    if (delivered !== 1) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(delivered, 1, 'the worker process counted its delivery');
  t.equal((await fetch(`${workerAdmin}/metrics`)).status, 401);

  serve.kill('SIGTERM');
  worker.kill('SIGTERM');
  const [s, w] = await Promise.all([serveDone, workerDone]);
  t.equal(s.code, 0, s.stderr);
  t.equal(w.code, 0, w.stderr);
});
