/**
 * Ingress throughput: valid Stripe-signed webhooks (each a new event, so every one is
 * verified, deduped and enqueued) through a real `hookgate serve` process, against a
 * bare Fastify server answering 204, in the same run on the same machine.
 *
 *   npm run bench                       (REDIS_URL, BENCH_DURATION=10, BENCH_CONNECTIONS=50)
 *   node --import tsx bench/ingress/run.ts   (this benchmark alone)
 *
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hookgate process.
 * Besides req/s and latency it prints the CPU time each server spent per request
 * (from /proc): on a shared machine that figure moves far less than req/s does.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { Redis } from 'ioredis';
import { eventKeys } from '../../src/queue/keys.js';
import { cpuMs } from '../process-cpu.js';
import { dropPrefix } from '../redis-keys.js';
import { freePort, startOnPort as start, stop } from '../spawn-server.js';
import { signedStripeRequest } from '../stripe-request.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECRET = 'whsec_bench_secret';
const PREFIX = `hgbench-${process.pid}`;
const FLOOR_PREFIX = `${PREFIX}-floor`;

const signedRequest = signedStripeRequest(SECRET);

/** CPU time Redis has used so far, in ms (INFO cpu; every client's work, not only ours). */
async function redisCpuMs(): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  } finally {
    redis.disconnect();
  }
}

/**
 * Warm-up, then the measured run; `accepted` counts the 2xx of both. CPU ms per
 * request: `cpu` the server's, `redisCpu` Redis's, `clientCpu` this process's (autocannon),
 * all three sharing the machine.
 */
async function load(server: {
  child: ChildProcess;
  url: string;
}): Promise<{ r: Result; accepted: number; cpu: number; redisCpu: number; clientCpu: number }> {
  const { url } = server;
  const warm = await autocannon({ url, connections: CONNECTIONS, duration: 2, requests: [signedRequest] });
  const before = cpuMs(server.child.pid);
  const redisBefore = await redisCpuMs();
  const clientBefore = process.cpuUsage();
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [signedRequest],
  });
  const n = r.requests.total || 1;
  const cpu = (cpuMs(server.child.pid) - before) / n;
  const client = process.cpuUsage(clientBefore);
  const clientCpu = (client.user + client.system) / 1000 / n;
  const redisCpu = ((await redisCpuMs()) - redisBefore) / n;
  return { r, accepted: warm['2xx'] + r['2xx'], cpu, redisCpu, clientCpu };
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

const rows: {
  name: string;
  r: Result;
  accepted: number;
  cpu: number;
  redisCpu: number;
  clientCpu: number;
}[] = [];
try {
  const bare = await start(['bench/ingress/bare-server.ts'], await freePort());
  rows.push({ name: 'bare fastify (204)', ...(await load(bare)) });
  await stop(bare.child);

  process.env.BENCH_PREFIX = FLOOR_PREFIX;
  const floor = await start(['bench/ingress/bare-enqueue.ts'], await freePort());
  rows.push({ name: 'bare + store write', ...(await load(floor)) });
  await stop(floor.child);

  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const serve = await start(['src/cli/main.ts', 'serve', '--config', config], await freePort(), nodeArgs);
  rows.push({ name: 'hookgate serve', ...(await load(serve)) });
  await stop(serve.child);

  // One intake entry per stored event.
  const counter = new Redis(REDIS_URL);
  const stored = await counter.xlen(eventKeys(PREFIX).intake);
  counter.disconnect();
  const accepted = rows[2]!.accepted;
  const [b, e, h] = [rows[0]!.r, rows[1]!.r, rows[2]!.r];
  console.log(`\ningress bench: ${CONNECTIONS} connections, ${DURATION}s, Redis ${REDIS_URL}\n`);
  console.log('                                            CPU ms per request');
  console.log(
    'server               req/s   p50 ms  p99 ms   server   redis  client   2xx      non-2xx errors',
  );
  const f = (x: number) => x.toFixed(3).padStart(7);
  for (const { name, r, cpu, redisCpu, clientCpu } of rows) {
    const cols = [
      r.requests.average.toFixed(0).padStart(7),
      String(r.latency.p50).padStart(7),
      String(r.latency.p99).padStart(7),
    ];
    console.log(
      `${name.padEnd(20)} ${cols.join(' ')}  ${f(cpu)} ${f(redisCpu)} ${f(clientCpu)}   ${String(r['2xx']).padEnd(8)} ${String(r.non2xx).padEnd(7)} ${r.errors}`,
    );
  }
  const pct = (x: Result, y: Result) => `${((x.requests.average / y.requests.average) * 100).toFixed(1)}%`;
  console.log(`\nthroughput ratio hookgate/bare: ${pct(h, b)}`);
  // The floor row is what durable acknowledgement (the intake writer's write) costs by itself on
  // this machine: no gateway built on it can beat that ratio here.
  console.log(`floor (bare + store write)/bare: ${pct(e, b)}; hookgate/floor: ${pct(h, e)}`);
  // autocannon stops at the deadline without counting the answers still in flight
  // (at most one per connection per run), so a few more may be stored than counted.
  const consistent = stored >= accepted && stored <= accepted + 2 * CONNECTIONS;
  console.log(
    `events stored: ${stored}; answered 2xx (warm-up included): ${accepted}${consistent ? '' : '  INCONSISTENT'}`,
  );
  if (!consistent) process.exitCode = 1;
} finally {
  await dropPrefix(REDIS_URL, PREFIX);
  await dropPrefix(REDIS_URL, FLOOR_PREFIX);
}
