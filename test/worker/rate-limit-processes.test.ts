import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { dropPrefix, REDIS_URL } from '../helpers/redis.js';
import { startCli, writeConfig, type RunningCli } from '../cli/run.js';
import { FAST_RETRY, harness, testConfig } from './harness.js';

const idOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as Envelope).id;

const MAX = 5;
const WINDOW_MS = 500;
/**
 * The limiter counts attempts as they start (BullMQ moves the job to active), the
 * receiver counts arrivals; between the two lie reading the record and the HTTP
 * round trip, and the first request of a process also opens its connection. That
 * much jitter is allowed at each window's edge.
 */
const JITTER_MS = 100;

/**
 * The limiter's windows, rebuilt from the arrivals. BullMQ's limiter is a counter
 * that the first attempt after the previous window expired creates with a PEXPIRE of
 * `window`: so a window opens at its first attempt and lasts `window`, and the next
 * one opens at the first attempt after it. Each window here is shortened by the
 * jitter, so the next window's early arrivals are never counted in this one.
 */
function limiterWindows(at: number[]): { start: number; count: number }[] {
  const windows: { start: number; count: number }[] = [];
  for (const a of at) {
    const last = windows.at(-1);
    if (last && a < last.start + WINDOW_MS - JITTER_MS) last.count++;
    else windows.push({ start: a, count: 1 });
  }
  return windows;
}

/** Event ids this process logged as delivered (its `delivered` info lines). */
function deliveredBy(stdout: string): string[] {
  const ids: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; eventId?: string };
    if (entry.msg === 'delivered' && entry.eventId) ids.push(entry.eventId);
  }
  return ids;
}

/** SIGTERM, and SIGKILL if it has not exited within `graceMs`. */
async function stop(p: RunningCli, graceMs = 5000) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.done;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  try {
    return await p.done;
  } finally {
    clearTimeout(timer);
  }
}

t.test('rateLimit holds across two worker processes: at most max attempts per limiter window', async (t) => {
  const rx = await startHttpReceiver();
  t.teardown(() => rx.close());
  const raw = {
    sources: { stripe: { routes: [{ to: 'rx' }] } },
    destinations: { rx: { type: 'http', url: rx.url, rateLimit: { max: MAX, window: `${WINDOW_MS}ms` } } },
  };
  const config = testConfig(raw, 'rate-procs');
  const prefix = config.redis.prefix;
  const { file, cleanup } = writeConfig({
    ...raw,
    redis: { url: REDIS_URL, prefix },
    defaults: { retry: FAST_RETRY },
    server: { shutdownTimeout: '3s' },
    // `delivered` lines (debug) are how each process's deliveries are counted.
    logLevel: 'debug',
  });
  t.teardown(cleanup);
  // The harness stores events as the ingress would, and drops the prefix at teardown.
  const h = harness(t, config);
  const workers: RunningCli[] = [];
  t.teardown(async () => {
    await Promise.all(workers.map((w) => stop(w)));
    // Again once both processes are gone: one still running may have written keys
    // after the harness dropped the prefix.
    await dropPrefix(prefix);
  });
  for (let i = 0; i < 2; i++)
    workers.push(await startCli(['worker', '--config', file], /hookgate worker started/));

  const records = Array.from({ length: 30 }, () => sampleRecord());
  await Promise.all(records.map((r) => h.publish(r)));
  await rx.waitForRequests(30, 30_000);
  // Anything beyond 30 (a duplicate) would arrive within a window or two.
  await new Promise((r) => setTimeout(r, 2 * WINDOW_MS));

  const ids = rx.requests.map((r) => idOf(r.body));
  t.equal(ids.length, 30, 'thirty requests, no more');
  t.same(new Set(ids), new Set(records.map((r) => r.id)), 'every event arrived exactly once');

  const at = rx.requests.map((r) => r.at).sort((a, b) => a - b);
  const windows = limiterWindows(at);
  t.comment(
    `arrivals per limiter window (ms from the first: count): ${windows
      .map((w) => `${w.start - at[0]!}:${w.count}`)
      .join(' ')}`,
  );
  // The k-th group of MAX arrivals opened no earlier than k windows after the first:
  // each window opens only once the one before it has expired. Measured against the
  // first arrival, not the window before, so one late arrival (latency on a loaded
  // machine) does not shift every later boundary.
  for (let k = 1; k * MAX < at.length; k++) {
    const start = at[k * MAX]! - at[0]!;
    t.ok(start >= k * WINDOW_MS - JITTER_MS, `arrival ${k * MAX + 1} at ${start} ms (window ${k + 1})`);
  }
  t.ok(
    at.at(-1)! - at[0]! >= (30 / MAX - 1) * WINDOW_MS - JITTER_MS,
    `first to last arrival ${at.at(-1)! - at[0]!} ms`,
  );

  // Both processes took part: each logged some of the deliveries, together each once.
  const exits = await Promise.all(workers.map((w) => stop(w)));
  exits.forEach((e, i) => t.equal(e.code, 0, `worker ${i + 1} exited 0 on SIGTERM ${e.stderr}`));
  const byProcess = exits.map((e) => deliveredBy(e.stdout));
  t.comment(`delivered per process: ${byProcess.map((d) => d.length).join(', ')}`);
  t.ok(
    byProcess.every((d) => d.length > 0),
    'each process delivered some of them',
  );
  t.same(byProcess.flat().sort(), [...ids].sort(), 'the processes delivered each event once between them');
});
