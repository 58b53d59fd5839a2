/**
 * The floor system's worker: reads the stream in batches of CONCURRENCY events with a
 * consumer group, POSTs each body to every URL with a bare undici dispatch (the floor of
 * bench/http-destination), then acknowledges and deletes the batch. No routing, no
 * record, no retries or timeouts, no status, nothing kept: a lower bound, not a worker.
 *
 *   REDIS_URL, PREFIX, URLS (comma-separated), CONCURRENCY
 */
import { Redis } from 'ioredis';
import { Pool, type Dispatcher } from 'undici';

const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const stream = `${process.env.PREFIX}:in`;
const count = Number(process.env.CONCURRENCY ?? 50);
const targets = process.env.URLS!.split(',').map((url) => {
  const u = new URL(url);
  return {
    path: u.pathname,
    pool: new Pool(u.origin, { connections: null, headersTimeout: 0, bodyTimeout: 0 }),
  };
});

function post(target: (typeof targets)[number], body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart() {},
      onResponseData() {},
      onResponseEnd: () => resolve(),
      onResponseError: (_c, err) => reject(err),
    };
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    target.pool.dispatch({ path: target.path, method: 'POST', headers, body }, handler);
  });
}

await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM').catch(() => {}); // BUSYGROUP: exists
let running = true;
process.on('SIGTERM', () => {
  running = false;
});
while (running) {
  const reply = (await redis.xreadgroupBuffer(
    'GROUP',
    'g',
    'c',
    'COUNT',
    count,
    'BLOCK',
    500,
    'STREAMS',
    stream,
    '>',
  )) as [Buffer, [Buffer, Buffer[]][]][] | null;
  const entries = reply?.[0]?.[1] ?? [];
  if (!entries.length) continue;
  await Promise.all(entries.flatMap(([, fields]) => targets.map((t) => post(t, fields[1]!))));
  const ids = entries.map(([id]) => id);
  await redis
    .pipeline()
    .xack(stream, 'g', ...ids)
    .xdel(stream, ...ids)
    .exec();
}
await Promise.all(targets.map((t) => t.pool.close()));
await redis.quit();
process.exit(0);
