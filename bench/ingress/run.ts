/**
 * Ingress throughput: valid Stripe-signed webhooks (each a new event, so every one is
 * verified, deduped and enqueued) through a real `hookgate serve` process, against a
 * bare Fastify server answering 204, in the same run on the same machine.
 *
 *   npm run bench                       (REDIS_URL, BENCH_DURATION=10, BENCH_CONNECTIONS=50)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECRET = 'whsec_bench_secret';
const PREFIX = `hgbench-${process.pid}`;

/** The Stripe scheme (the tests check it against stripe.webhooks.generateTestHeaderString). */
function stripeSignature(payload: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${payload}`).digest('hex')}`;
}

let seq = 0;
const signedRequest = {
  method: 'POST',
  path: '/hooks/stripe',
  setupRequest: () => {
    const body = JSON.stringify({
      id: `evt_${process.pid}_${seq++}`,
      object: 'event',
      type: 'invoice.paid',
      data: { object: { id: 'in_1', customer: 'cus_1', amount_paid: 2000, currency: 'usd' } },
    });
    return {
      method: 'POST',
      path: '/hooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body) },
      body,
    };
  },
};

/** Starts a server on a port chosen here and waits until it answers, whatever it logs. */
async function start(args: string[], port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) throw new Error(`${args.join(' ')} exited before listening`);
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.status > 0,
      () => false,
    );
    if (up) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
    server.on('error', reject);
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Warm-up, then the measured run; `accepted` counts the 2xx of both. */
async function load(url: string): Promise<{ r: Result; accepted: number }> {
  const warm = await autocannon({ url, connections: CONNECTIONS, duration: 2, requests: [signedRequest] });
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [signedRequest],
  });
  return { r, accepted: warm['2xx'] + r['2xx'] };
}

async function dropPrefix(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-'));
const config = join(dir, 'hookgate.yaml');
writeFileSync(
  config,
  `server: { host: 127.0.0.1, port: "\${PORT}" }
logLevel: ${process.env.BENCH_LOG_LEVEL ?? 'info'}
redis: { url: "${REDIS_URL}", prefix: ${PREFIX} }
sources:
  stripe:
    verify: { type: stripe, secrets: [ ${SECRET} ] }
    dedupe: ${process.env.BENCH_DEDUPE ?? 'true'}
`,
);

const rows: { name: string; r: Result; accepted: number }[] = [];
try {
  const bare = await start(['bench/ingress/bare-server.ts'], await freePort());
  rows.push({ name: 'bare fastify (204)', ...(await load(bare.url)) });
  await stop(bare.child);

  const serve = await start(['src/cli/main.ts', 'serve', '--config', config], await freePort());
  rows.push({ name: 'hookgate serve', ...(await load(serve.url)) });
  await stop(serve.child);

  const queue = new Queue('events', { connection: { url: REDIS_URL }, prefix: PREFIX });
  const stored = await queue.count();
  await queue.close();
  const accepted = rows[1]!.accepted;
  const [b, h] = [rows[0]!.r, rows[1]!.r];
  console.log(`\ningress bench: ${CONNECTIONS} connections, ${DURATION}s, Redis ${REDIS_URL}\n`);
  console.log('server               req/s     p50 ms   p99 ms   2xx       non-2xx  errors');
  for (const { name, r } of rows) {
    console.log(
      `${name.padEnd(20)} ${r.requests.average.toFixed(0).padStart(8)} ${String(r.latency.p50).padStart(8)} ${String(
        r.latency.p99,
      ).padStart(8)}   ${String(r['2xx']).padEnd(9)} ${String(r.non2xx).padEnd(8)} ${r.errors}`,
    );
  }
  console.log(
    `\nthroughput ratio hookgate/bare: ${((h.requests.average / b.requests.average) * 100).toFixed(1)}%`,
  );
  // autocannon stops at the deadline without counting the answers still in flight
  // (at most one per connection per run), so a few more may be stored than counted.
  const consistent = stored >= accepted && stored <= accepted + 2 * CONNECTIONS;
  console.log(
    `events stored: ${stored}; answered 2xx (warm-up included): ${accepted}${consistent ? '' : '  INCONSISTENT'}`,
  );
  if (!consistent) process.exitCode = 1;
} finally {
  await dropPrefix();
}
