/**
 * The hand-written baseline's worker: a BullMQ Worker that POSTs each event to every
 * URL with global `fetch` and fails the job (BullMQ retries it) unless all answer 2xx.
 *
 *   REDIS_URL, PREFIX, URLS (comma-separated), CONCURRENCY, TIMEOUT_MS
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const urls = process.env.URLS!.split(',');
const timeout = Number(process.env.TIMEOUT_MS ?? 10_000);
const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });

const worker = new Worker(
  'stripe-events',
  async (job) => {
    const body = JSON.stringify(job.data);
    await Promise.all(
      urls.map(async (url) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeout),
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      }),
    );
  },
  { connection, prefix: process.env.PREFIX, concurrency: Number(process.env.CONCURRENCY ?? 50) },
);
process.on('SIGTERM', () => {
  void worker.close().then(() => connection.quit().then(() => process.exit(0)));
});
