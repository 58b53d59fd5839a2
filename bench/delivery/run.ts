/**
 * Delivery benchmark, with real `hookgate worker` / `hookgate serve` processes:
 *
 * 1. Throughput: N events (one route each, so N deliveries) pre-filled in the intake
 *    through the ingress's own write path, drained by one worker process to a local
 *    HTTP receiver and to SQS (fauxqs), at several `worker.concurrency` values.
 *    Rate = deliveries / (last finish - first finish), finish times read from what
 *    the worker recorded of each delivery, so process start-up is not counted.
 * 2. End-to-end latency at a steady request rate: request sent to `hookgate serve`
 *    -> message readable in SQS, through `hookgate worker`; p50/p99.
 *
 *   npm run bench   (REDIS_URL; BENCH_JOBS=3000, BENCH_CONCURRENCY=1,10,50 (empty: skip),
 *                    BENCH_TARGETS=http,sqs, BENCH_RATE=200, BENCH_SECONDS=15 (0: skip end to end),
 *                    BENCH_NODE_ARGS for the hookgate processes)
 *
 * Throughput runs also report the worker process's CPU per delivery (user + system,
 * from /proc, between the first and the last completion), steadier than the rate on a
 * shared machine.
 *
 * Everything (Redis, fauxqs, receiver, load generator, hookgate) shares one machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { validateConfig } from '../../src/config/load.js';
import { openStore, type Store } from '../../src/queue/delivery-queues.js';
import { parseStatusEntry } from '../../src/queue/event-status.js';
import { createIntakeWriter } from '../../src/queue/intake-writer.js';
import { INTAKE_GROUP } from '../../src/queue/keys.js';
import { decodeStored } from '../../src/queue/stored-event.js';
import type { Envelope } from '../../src/record/envelope.js';
import { sampleRecord } from '../../test/destinations/record.js';
import { cpuMs } from '../process-cpu.js';
import { dropPrefix } from '../redis-keys.js';
import { freePort } from '../spawn-server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,10,50')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const TARGETS = (process.env.BENCH_TARGETS ?? 'http,sqs').split(',');
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const REGION = 'us-east-1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hookgate(args: string[]): ChildProcess {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hookgate processes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', TSX, MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.resume(); // never let a full pipe block it
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function writeConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-'));
  const file = join(dir, 'hookgate.yaml');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** A Stripe-sized invoice event, built as the ingress builds records. */
const benchRecord = (): Envelope =>
  sampleRecord({
    source: 'bench',
    body: JSON.stringify({
      object: 'event',
      type: 'invoice.paid',
      data: {
        object: { id: 'in_1', customer: 'cus_1', amount_paid: 2000, currency: 'usd', lines: [1, 2, 3] },
      },
    }),
  });

const baseConfig = (prefix: string, destination: Record<string, unknown>, concurrency: number) => ({
  redis: { url: REDIS_URL, prefix },
  logLevel: 'warn',
  worker: { concurrency },
  defaults: { retry: { attempts: 5, delay: '200ms' }, timeout: '10s' },
  sources: { bench: { routes: [{ to: 'target' }] } },
  destinations: { target: destination },
});

interface Throughput {
  /** Deliveries per second. */
  rate: number;
  /** Worker CPU (user + system) per delivery, ms. */
  cpuMs: number;
}

/** Events the worker has settled (read from the intake and acknowledged). */
async function settledEvents(store: Store): Promise<number> {
  const groups = (await store.redis
    .xinfo('GROUPS', store.partitions[0]!.keys.intake)
    .catch(() => [])) as unknown[][];
  for (const flat of groups) {
    const g: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) g[String(flat[i])] = flat[i + 1];
    if (g.name === INTAKE_GROUP) return Number(g['entries-read'] ?? 0) - Number(g.pending ?? 0);
  }
  return 0;
}

/** Finish time (epoch ms) of each delivered delivery, from the stored marks and statuses. */
async function finishTimes(store: Store, eventIds: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < eventIds.length; i += 500) {
    const pipe = store.redis.pipeline();
    for (const id of eventIds.slice(i, i + 500))
      pipe.getBuffer(store.partitions[0]!.keys.record(id)).hgetall(store.partitions[0]!.keys.status(id));
    const replies = (await pipe.exec()) ?? [];
    for (let k = 0; k < replies.length; k += 2) {
      const value = replies[k]?.[1] as Buffer | null;
      const status = (replies[k + 1]?.[1] as Record<string, string> | undefined) ?? {};
      const entry = status.target !== undefined ? parseStatusEntry(status.target) : undefined;
      const last = entry?.state === 'delivered' ? entry.attempts?.at(-1) : undefined;
      const mark = value ? decodeStored(value).marks?.target : undefined;
      if (last) out.push(Date.parse(last.startedAt) + last.durationMs);
      else if (mark?.[0] === 'd') out.push(mark[1] + mark[2]);
      else throw new Error(`event ${eventIds[i + k / 2]} not delivered`);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Fills the intake, runs one worker process until every delivery is made. */
async function throughput(destination: Record<string, unknown>, concurrency: number): Promise<Throughput> {
  const prefix = `hgbench-delivery-${process.pid}-${Date.now()}`;
  const raw = baseConfig(prefix, destination, concurrency);
  const config = validateConfig(raw, { env: {} });
  const store = openStore(config, 'worker');
  await store.ready();
  // What the ingress does per event: the record, and its intake entry, in one script.
  const intake = createIntakeWriter({
    redis: config.redis,
    retention: config.retention.events,
    enqueueTimeout: 30_000,
  });
  // Connected first: requests before the first connection each wait on it.
  if (!(await intake.ping(10_000))) throw new Error('Redis not reachable');
  const eventIds: string[] = [];
  for (let done = 0; done < JOBS; done += 500) {
    const batch = Array.from({ length: Math.min(500, JOBS - done) }, benchRecord);
    await Promise.all(batch.map((r) => intake.accept(r, { source: 'bench' })));
    eventIds.push(...batch.map((r) => r.id));
  }
  await intake.close();
  const queue = store.queue('target');
  const file = writeConfig(raw);
  const worker = hookgate(['worker', '--config', file]);
  let cpuStart: { cpu: number; completed: number } | undefined;
  let cpuEnd: number;
  try {
    for (;;) {
      const [settled, c] = await Promise.all([
        settledEvents(store),
        queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
      ]);
      if (c.failed) throw new Error(`${c.failed} deliveries failed`);
      // Retries and deliveries the worker had no room for wait in the destination's queue.
      const queued = (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
      const completed = settled - queued;
      // CPU from the first completion on, so start-up (tsx, module loading) is not counted.
      if (!cpuStart && completed > 0) cpuStart = { cpu: cpuMs(worker.pid), completed };
      if (settled >= JOBS && queued === 0) {
        cpuEnd = cpuMs(worker.pid);
        break;
      }
      await sleep(20);
    }
    const finished = await finishTimes(store, eventIds);
    const seconds = (finished.at(-1)! - finished[0]!) / 1000;
    const cpu = (cpuEnd - cpuStart!.cpu) / (JOBS - cpuStart!.completed);
    return { rate: (JOBS - 1) / seconds, cpuMs: cpu };
  } finally {
    await stop(worker);
    await store.close();
    await dropPrefix(REDIS_URL, prefix);
    rmSync(join(file, '..'), { recursive: true, force: true });
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Steady `RATE` req/s to `hookgate serve`; latency until each message is readable in SQS. */
async function endToEnd(queueUrl: string, endpoint: string) {
  const prefix = `hgbench-e2e-${process.pid}-${Date.now()}`;
  const port = await freePort();
  const raw = {
    ...baseConfig(prefix, { type: 'sqs', queueUrl, endpoint, region: REGION }, 50),
    server: { host: '127.0.0.1', port },
  };
  const file = writeConfig(raw);
  const serve = hookgate(['serve', '--config', file]);
  const worker = hookgate(['worker', '--config', file]);
  const url = `http://127.0.0.1:${port}/hooks/bench`;
  const sqs = new SQSClient({ endpoint, region: REGION });
  const sentAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  const ackMs: number[] = [];
  let polling = true;
  const poll = async () => {
    while (polling) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['hookgate-event-id'],
        }),
      );
      const now = performance.now();
      const messages = got.Messages ?? [];
      for (const m of messages) {
        const id = m.MessageAttributes?.['hookgate-event-id']?.StringValue;
        if (id && !seenAt.has(id)) seenAt.set(id, now);
      }
      if (messages.length) {
        void sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    }
  };
  try {
    for (let i = 0; ; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok) break;
      if (i > 200) throw new Error('serve did not start');
      await sleep(100);
    }
    await sleep(1500); // the worker process starts alongside
    const pollers = Array.from({ length: 4 }, poll);
    const send = async (measure: boolean) => {
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'invoice.paid', at: Date.now() }),
      });
      const t1 = performance.now();
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`ingress answered ${res.status}`);
      const id = res.headers.get('hookgate-event-id')!;
      if (measure) {
        sentAt.set(id, t0);
        ackMs.push(t1 - t0);
      }
    };
    const run = async (seconds: number, measure: boolean) => {
      const total = seconds * RATE;
      const start = performance.now();
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        inflight.push(send(measure));
      }
      await Promise.all(inflight);
      return (total / (performance.now() - start)) * 1000;
    };
    await run(2, false); // warm-up: JIT, connections, SDK clients
    const achieved = await run(SECONDS, true);
    const until = Date.now() + 30_000;
    while ([...sentAt.keys()].some((id) => !seenAt.has(id)) && Date.now() < until) await sleep(100);
    polling = false;
    await Promise.all(pollers);
    const latencies = [...sentAt].filter(([id]) => seenAt.has(id)).map(([id, t]) => seenAt.get(id)! - t);
    latencies.sort((a, b) => a - b);
    ackMs.sort((a, b) => a - b);
    return {
      achievedRate: achieved,
      sent: sentAt.size,
      delivered: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1)!,
      ackP50: percentile(ackMs, 50),
      ackP99: percentile(ackMs, 99),
    };
  } finally {
    polling = false;
    sqs.destroy();
    await Promise.all([stop(serve), stop(worker)]);
    if (process.env.BENCH_KEEP) console.log(`kept Redis prefix ${prefix}`);
    else await dropPrefix(REDIS_URL, prefix);
    rmSync(join(file, '..'), { recursive: true, force: true });
  }
}

async function main() {
  const receiver: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  receiver.keepAliveTimeout = 30_000;
  receiver.listen(0, '127.0.0.1');
  await new Promise((r) => receiver.once('listening', r));
  const httpUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const fauxqs = await startFauxqs({ port: 0, logger: false, host: 'localhost', defaultRegion: REGION });
  const endpoint = fauxqs.address;

  console.log(`delivery benchmark: ${JOBS} deliveries per run; Node ${process.version}; Redis ${REDIS_URL}`);
  const rows: string[][] = [];
  try {
    const fmt = (r: Throughput | undefined) =>
      r ? `${r.rate.toFixed(0)}/s ${r.cpuMs.toFixed(3)} ms CPU` : '—';
    for (const c of CONCURRENCY) {
      const http = TARGETS.includes('http') ? await throughput({ type: 'http', url: httpUrl }, c) : undefined;
      let sqs: Throughput | undefined;
      if (TARGETS.includes('sqs')) {
        const queueUrl = fauxqs.createQueue(`bench-${c}-${Date.now()}`).queueUrl;
        sqs = await throughput({ type: 'sqs', queueUrl, endpoint, region: REGION }, c);
      }
      rows.push([String(c), fmt(http), fmt(sqs)]);
      console.log(`  concurrency ${c}: http ${fmt(http)}, sqs ${fmt(sqs)}`);
    }
    if (rows.length) {
      console.log('\nthroughput (deliveries/s and worker CPU per delivery, one worker process)');
      console.log(`  concurrency  ${'http'.padEnd(22)}  sqs(fauxqs)`);
      for (const [c, h, s] of rows) console.log(`  ${c!.padStart(11)}  ${h!.padEnd(22)}  ${s!}`);
    }
    if (SECONDS <= 0) return;

    const queueUrl = fauxqs.createQueue(`bench-e2e-${Date.now()}`).queueUrl;
    const e2e = await endToEnd(queueUrl, endpoint);
    console.log(
      `\nend to end at ${RATE} req/s for ${SECONDS}s (achieved ${e2e.achievedRate.toFixed(0)} req/s): ` +
        `${e2e.delivered}/${e2e.sent} in SQS; request -> SQS p50 ${e2e.p50.toFixed(1)}ms, ` +
        `p99 ${e2e.p99.toFixed(1)}ms, max ${e2e.max.toFixed(1)}ms; ` +
        `ingress ack p50 ${e2e.ackP50.toFixed(1)}ms, p99 ${e2e.ackP99.toFixed(1)}ms`,
    );
    if (e2e.delivered < e2e.sent) process.exitCode = 1;
  } finally {
    receiver.close();
    await fauxqs.stop();
  }
}

await main();
