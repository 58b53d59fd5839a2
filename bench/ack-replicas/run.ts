/**
 * What `redis.ackReplicas: 1` costs at the ingress: the same Stripe-signed traffic
 * (each request a new event) through two `hookgate serve` processes on one local
 * master + replica (throwaway redis-servers, `--replicaof`, no persistence), one with
 * ackReplicas 0 and one with 1, measured in alternating rounds in the same run so
 * both see the same machine. Two loads: 1 connection (the latency one ack adds) and
 * BENCH_CONNECTIONS (default 50; throughput, where one WAIT covers many writes).
 *
 *   npm run bench -- ack-replicas      (BENCH_DURATION=5 per round, BENCH_ROUNDS=3)
 */
import { createHmac } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { Redis } from 'ioredis';
import { freePort, startOnPort, stop } from '../spawn-server.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECRET = 'whsec_bench_ack_replicas';

function stripeSignature(payload: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${payload}`).digest('hex')}`;
}
let seq = 0;
const request = {
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

const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-replicas-'));
const children: ChildProcess[] = [];

async function redisServer(port: number, args: string[]): Promise<Redis> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...args,
    ],
    { stdio: 'ignore' },
  );
  children.push(child);
  const redis = new Redis(port, '127.0.0.1', { retryStrategy: () => 50 });
  redis.on('error', () => {});
  await redis.ping();
  return redis;
}

async function waitCalls(master: Redis): Promise<number> {
  return Number(/cmdstat_wait:calls=(\d+)/.exec(await master.info('commandstats'))?.[1] ?? 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const [masterPort, replicaPort] = [await freePort(), await freePort()];
  const master = await redisServer(masterPort, ['--repl-diskless-sync-delay', '0']);
  const replica = await redisServer(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
  while (!(await replica.info('replication')).includes('master_link_status:up'))
    await new Promise((r) => setTimeout(r, 50));

  const servers = new Map<number, { child: ChildProcess; url: string }>();
  for (const acks of [0, 1]) {
    const config = join(dir, `hookgate-${acks}.yaml`);
    writeFileSync(
      config,
      `server: { host: 127.0.0.1, port: "\${PORT}" }
logLevel: warn
redis: { url: "redis://127.0.0.1:${masterPort}", prefix: hgbench-acks${acks}, ackReplicas: ${acks} }
sources:
  stripe:
    verify: { type: stripe, secrets: [ ${SECRET} ] }
`,
    );
    servers.set(acks, await startOnPort(['src/cli/main.ts', 'serve', '--config', config], await freePort()));
  }

  const results = new Map<string, { r: Result; waits: number }[]>();
  for (const connections of [1, CONNECTIONS]) {
    for (const acks of [0, 1])
      await autocannon({ url: servers.get(acks)!.url, connections, duration: 1, requests: [request] });
    for (let round = 0; round < ROUNDS; round++) {
      for (const acks of round % 2 ? [1, 0] : [0, 1]) {
        const before = await waitCalls(master);
        const r = await autocannon({
          url: servers.get(acks)!.url,
          connections,
          duration: DURATION,
          requests: [request],
        });
        const waits = (await waitCalls(master)) - before;
        const key = `${connections}:${acks}`;
        results.set(key, [...(results.get(key) ?? []), { r, waits }]);
      }
    }
  }
  for (const s of servers.values()) await stop(s.child);

  console.log(
    `\nack-replicas bench: local master + 1 replica, ${ROUNDS} alternating rounds of ${DURATION}s, medians\n`,
  );
  // ms/request: connections * 1000 / req/s (Little's law), finer than autocannon's whole-ms latencies.
  console.log('connections ackReplicas   req/s  ms/request  p50 ms  p99 ms  non-2xx  WAITs/request');
  for (const connections of [1, CONNECTIONS]) {
    const rows = [0, 1].map((acks) => results.get(`${connections}:${acks}`)!);
    for (const [acks, runs] of rows.entries()) {
      const rps = median(runs.map(({ r }) => r.requests.average));
      const mean = (connections * 1000) / rps;
      const p50 = median(runs.map(({ r }) => r.latency.p50));
      const p99 = median(runs.map(({ r }) => r.latency.p99));
      const non2xx = runs.reduce((n, { r }) => n + r.non2xx + r.errors, 0);
      const perRequest =
        runs.reduce((n, { waits }) => n + waits, 0) /
        runs.reduce((n, { r }) => n + (r.requests.total ?? 0), 0);
      console.log(
        `${String(connections).padStart(11)} ${String(acks).padStart(11)} ${rps.toFixed(0).padStart(7)} ${mean.toFixed(3).padStart(11)} ${String(p50).padStart(7)} ${String(p99).padStart(7)} ${String(non2xx).padStart(8)}  ${perRequest.toFixed(2).padStart(13)}`,
      );
    }
    const [r0, r1] = rows.map((runs) => median(runs.map(({ r }) => r.requests.average)));
    console.log(`${''.padStart(11)} throughput ackReplicas 1 / 0: ${((r1! / r0!) * 100).toFixed(1)}%`);
  }
  master.disconnect();
  replica.disconnect();
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
