/**
 * Event-loop stalls from large signed bodies: validly Stripe-signed ~1 MB JSON bodies
 * are sent one after another to a real `hookgate serve` process while a probe asks
 * GET /healthz every 20 ms on its own connection. A probe answered late was queued
 * behind a request's synchronous work (parsing, building and serialising the record),
 * during which the process answers nobody: the probe's latency is the stall.
 *
 *   node --import tsx bench/large-body/run.ts   (REDIS_URL, BENCH_LARGE_REQUESTS=20 per shape)
 *
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hookgate process.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs } from '../process-cpu.js';
import { dropPrefix } from '../redis-keys.js';
import { freePort, startOnPort, stop } from '../spawn-server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUESTS = Number(process.env.BENCH_LARGE_REQUESTS ?? 20);
const SECRET = 'whsec_bench_secret';
const PREFIX = `hgbench-large-${process.pid}`;
const PROBE_EVERY_MS = 20;

/** ~1 MB bodies a provider (or someone holding a valid secret) may send. */
const SHAPES: Record<string, (id: string) => string> = {
  // An invoice with ~5,000 line items: a large but ordinary event, its keys in
  // Stripe's order (the type after the data, so reading it means reading past the data).
  'line items': (id) =>
    JSON.stringify({
      id,
      object: 'event',
      data: {
        object: {
          lines: {
            data: Array.from({ length: 5200 }, (_, i) => ({
              id: `il_${i}`,
              object: 'line_item',
              amount: 1000 + i,
              currency: 'usd',
              description: `Item number ${i}`,
              metadata: { k: 'v', n: i },
              period: { start: 1700000000, end: 1700003600 },
            })),
          },
        },
      },
      type: 'invoice.paid',
    }),
  // The same with one \u escape: forces the prototype-poisoning check to look.
  'line items + \\u escape': (id) => SHAPES['line items']!(id).replace('"usd"', '"\\u0075sd"'),
  // Arrays nested 400,000 deep.
  'deep nesting': (id) => `{"id":"${id}","d":${'['.repeat(400_000)}${']'.repeat(400_000)}}`,
  // One string of quotes and backslashes: every byte escaped when serialised.
  'escape-heavy string': (id) => JSON.stringify({ id, s: '"\\'.repeat(250_000) }),
};

function signature(payload: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${payload}`).digest('hex')}`;
}

function post(url: string, agent: Agent, body: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/hooks/stripe`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'stripe-signature': signature(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string, agent: Agent): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    });
    req.on('error', reject);
    req.end();
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
};

const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-'));
const config = join(dir, 'hookgate.yaml');
writeFileSync(
  config,
  `server: { host: 127.0.0.1, port: "\${PORT}", bodyLimit: 2mb }
logLevel: warn
redis: { url: "${REDIS_URL}", prefix: ${PREFIX} }
sources:
  stripe:
    verify: { type: stripe, secrets: [ ${SECRET} ] }
`,
);

const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const serve = await startOnPort(['src/cli/main.ts', 'serve', '--config', config], await freePort(), nodeArgs);
const rows: string[] = [];
try {
  const bodies = new Agent({ keepAlive: true, maxSockets: 1 });
  const probes = new Agent({ keepAlive: true, maxSockets: 1 });
  for (const [name, make] of Object.entries(SHAPES)) {
    const probeMs: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        probeMs.push(await get(serve.url, probes));
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
      }
    })();
    const requestMs: number[] = [];
    const statuses = new Set<number>();
    let size = 0;
    const cpuBefore = cpuMs(serve.child.pid);
    for (let i = 0; i < REQUESTS; i++) {
      const body = make(`evt_${process.pid}_${name.replace(/\W/g, '')}_${i}`);
      size = Buffer.byteLength(body);
      const { status, ms } = await post(serve.url, bodies, body);
      statuses.add(status);
      requestMs.push(ms);
    }
    const cpu = (cpuMs(serve.child.pid) - cpuBefore) / REQUESTS;
    probing = false;
    await probe;
    rows.push(
      `| ${name} | ${(size / 1e6).toFixed(2)} MB | ${[...statuses].join(', ')} | ` +
        `${pct(requestMs, 50).toFixed(0)} / ${Math.max(...requestMs).toFixed(0)} ms | ${cpu.toFixed(0)} ms | ` +
        `${pct(probeMs, 50).toFixed(1)} / ${pct(probeMs, 99).toFixed(0)} / ${Math.max(...probeMs).toFixed(0)} ms |`,
    );
  }
  bodies.destroy();
  probes.destroy();
} finally {
  await stop(serve.child);
  await dropPrefix(REDIS_URL, PREFIX);
}

console.log(
  `\nlarge-body bench: ${REQUESTS} signed requests per shape, one at a time; /healthz every ${PROBE_EVERY_MS} ms\n`,
);
console.log('| body | size | status | request p50 / max | server CPU / request | /healthz p50 / p99 / max |');
console.log('| ---- | ---- | ------ | ----------------- | -------------------- | ------------------------ |');
for (const row of rows) console.log(row);
