/**
 * Proxy mode overhead: the same calls made straight to an upstream and through a
 * real `hookgate serve` process in front of it (record: after-response, and
 * before-response), in the same run on the same machine, with a real Redis.
 *
 *   1. latency: one keep-alive connection, calls one after another, timed here with
 *      hrtime (autocannon's histogram has whole-millisecond resolution);
 *   2. throughput: autocannon, BENCH_CONNECTIONS connections for BENCH_DURATION s,
 *      with the CPU time the serving process spent per 1000 calls (from /proc, so it
 *      holds up on a machine shared with other work, where req/s does not).
 *
 * A bare Node proxy (bare-proxy.ts) runs alongside as the floor for any proxy hop.
 *
 *   npm run bench     (REDIS_URL, BENCH_DURATION=10, BENCH_CONNECTIONS=50,
 *                      BENCH_CALLS=3000, BENCH_LOG_LEVEL=info, BENCH_UPSTREAM_CPU_MS=0)
 *   node --import tsx bench/proxy/run.ts
 *
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hookgate process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventKeys } from '../../src/queue/keys.js';
import { cpuMs } from '../process-cpu.js';
import { dropPrefix } from '../redis-keys.js';
import { freePort, startOnPort, stop } from '../spawn-server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const CALLS = Number(process.env.BENCH_CALLS ?? 3000);
const PREFIX = `hgbench-proxy-${process.pid}`;
const BODY = JSON.stringify({ sku: 'A-1', qty: 2, customer: 'cus_1' });

interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface Result {
  requests: Histogram;
  latency: Histogram;
  errors: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body: string;
}) => Promise<Result>;
// The package ships no types; only the part used here is declared.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        // Keep draining stdout (request logs) so the child never blocks on a full pipe.
        child.stdout.off('data', onData).resume();
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before listening`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function once(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const begin = process.hrtime.bigint();
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': BODY.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 201) reject(new Error(`${url}: ${res.statusCode}`));
          else resolve(Number(process.hrtime.bigint() - begin) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

/** p50/p99 in ms of CALLS sequential calls on one connection, after a warm-up. */
async function latency(url: string): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(500, CALLS); i++) await once(url);
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) samples.push(await once(url));
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

function autocannonRun(url: string, duration: number): Promise<Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
}

/** Warm-up: the pool, the JIT and Redis's connection. */
function warmUp(url: string): Promise<Result> {
  return autocannonRun(url, 2);
}

const ms = (n: number) => n.toFixed(2).padStart(8);

const upstream = await start(['bench/proxy/upstream.ts']);
const bare = await start(['bench/proxy/bare-proxy.ts', `${upstream.url}/orders`]);
const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-proxy-'));
const config = join(dir, 'hookgate.yaml');
writeFileSync(
  config,
  `server: { host: 127.0.0.1, port: "\${PORT}" }
logLevel: ${process.env.BENCH_LOG_LEVEL ?? 'info'}
redis: { url: "${REDIS_URL}", prefix: ${PREFIX} }
sources:
  after:
    mode: proxy
    path: /api/orders
    upstream: { url: "${upstream.url}/orders" }
  before:
    mode: proxy
    path: /api/orders-durable
    record: before-response
    upstream: { url: "${upstream.url}/orders" }
`,
);
let serve: { child: ChildProcess; url: string } | undefined;
try {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  serve = await startOnPort(['src/cli/main.ts', 'serve', '--config', config], await freePort(), nodeArgs);
  const targets = [
    { name: 'direct to upstream', url: `${upstream.url}/orders`, pid: upstream.child.pid },
    { name: 'bare Node proxy', url: bare.url, pid: bare.child.pid },
    { name: 'hookgate after-resp.', url: `${serve.url}/api/orders`, pid: serve.child.pid },
    { name: 'hookgate before-resp.', url: `${serve.url}/api/orders-durable`, pid: serve.child.pid },
  ];

  const lat: { p50: number; p99: number }[] = [];
  for (const target of targets) lat.push(await latency(target.url));
  agent.destroy();
  const tput: (Result & { cpuPer1k: number })[] = [];
  for (const target of targets) {
    await warmUp(target.url);
    const before = cpuMs(target.pid);
    const r = await autocannonRun(target.url, DURATION);
    tput.push({ ...r, cpuPer1k: ((cpuMs(target.pid) - before) / r['2xx']) * 1000 });
  }

  await stop(serve.child);
  serve = undefined;
  // One intake entry per stored event.
  const counter = new Redis(REDIS_URL);
  const stored = await counter.xlen(eventKeys(PREFIX).intake);
  counter.disconnect();

  console.log(
    `\nproxy bench: Redis ${REDIS_URL}, log level ${process.env.BENCH_LOG_LEVEL ?? 'info'}, upstream CPU per call ${
      process.env.BENCH_UPSTREAM_CPU_MS ?? 0
    } ms`,
  );
  console.log(`\nlatency, 1 connection, ${CALLS} sequential calls (ms)`);
  console.log('target                     p50      p99   p50 overhead vs direct');
  for (const [i, target] of targets.entries()) {
    const overhead = i === 0 ? '' : `${ms(lat[i]!.p50 - lat[0]!.p50)}`;
    console.log(`${target.name.padEnd(21)} ${ms(lat[i]!.p50)} ${ms(lat[i]!.p99)}   ${overhead}`);
  }
  console.log(`\nthroughput, ${CONNECTIONS} connections, ${DURATION}s (autocannon; latency in whole ms)`);
  console.log(
    'target                  req/s   p50 ms   p99 ms   2xx       non-2xx  errors  vs direct  CPU ms/1k calls',
  );
  for (const [i, target] of targets.entries()) {
    const r = tput[i]!;
    const ratio = `${((r.requests.average / tput[0]!.requests.average) * 100).toFixed(1)}%`;
    console.log(
      `${target.name.padEnd(21)} ${r.requests.average.toFixed(0).padStart(8)} ${String(r.latency.p50).padStart(8)} ${String(
        r.latency.p99,
      ).padStart(
        8,
      )}   ${String(r['2xx']).padEnd(9)} ${String(r.non2xx).padEnd(8)} ${String(r.errors).padEnd(7)} ${ratio.padStart(
        9,
      )}  ${r.cpuPer1k.toFixed(0).padStart(8)}`,
    );
  }
  const proxied = tput.slice(2).reduce((n, r) => n + r['2xx'], 0);
  console.log(
    `\nrecords stored: ${stored} (measured hookgate 2xx: ${proxied}, plus warm-ups and latency calls)`,
  );
} finally {
  if (serve) await stop(serve.child);
  await stop(bare.child);
  await stop(upstream.child);
  await dropPrefix(REDIS_URL, PREFIX);
}
