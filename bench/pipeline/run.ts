/**
 * End-to-end pipeline benchmark: hookgate as a user runs it against what a user would
 * write by hand in an afternoon, alternating in the same run, on the same machine.
 *
 *   hookgate:     `hookgate serve` + one `hookgate worker` (concurrency 50), each its own
 *                 process from the built CLI; one Stripe source with two HTTP routes.
 *   hand-written: Express + `stripe.webhooks.constructEvent` + BullMQ `queue.add` (one
 *                 process) and a BullMQ Worker (concurrency 50) that POSTs each job to
 *                 both URLs with `fetch` (handwritten-*.ts).
 *   hookgate + event log (BENCH_EVENT_LOG=1): the same hookgate config plus
 *                 `eventLog.postgres` on $DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 *                 a fresh schema `hgbench_<random>` per run, dropped after it (event-log.ts).
 *                 Off by default: it needs a PostgreSQL, `npm run bench` does not.
 *
 * Both deliver to one receiver process (receiver.ts: 204, first arrival per event id and
 * route). Each run gets its own throwaway redis-server, so INFO cpu/memory count that
 * run alone. A run: warm-up (BENCH_WARMUP events at 10 connections, drained), then
 * Stripe-signed events (200 shapes of 1–3 KB, a new event id on every request, see
 * events.ts) from autocannon at BENCH_CONNECTIONS for BENCH_SECONDS, then the drain:
 * until every 2xx'd event has reached both routes (at most BENCH_DRAIN_TIMEOUT s).
 *
 * Per event (divided by the events answered 2xx; from just before the load until the
 * drain is over, the ingress until the load is over): ingress and worker CPU (/proc),
 * Redis CPU (INFO cpu), Redis memory and keys kept (INFO used_memory and DBSIZE, before
 * the load and after the drain, with the default retention). Delivered events/s =
 * events on both routes / (first request -> last delivery). 2xx -> delivered: the time
 * autocannon read the 2xx (this process's clock) to the later of the event's first
 * arrivals on the two routes (the receiver's clock; same machine). Each run also prints
 * the processes' CPU with no traffic (ms/s), which the per-event figures include.
 *
 * With the event log, also: the log lag (age of the oldest entry of the Redis stream
 * `hookgate:hg:log`, what `hookgate_event_log_lag_seconds` reports) sampled every 250 ms
 * from the load until the stream is empty, its max; the log drain (last delivery ->
 * stream empty: delivered events/s does not include it, every per-event figure does, as
 * its measurement ends only once the stream is empty, then the settle); the lag after
 * it (must be 0); the check that every 2xx'd event (its `hookgate-event-id`) is in
 * <schema>.events, `delivered`, with the Stripe id as dedupe key and both deliveries
 * `delivered`; PostgreSQL CPU (utime+stime from /proc) of the backends serving the
 * ingress' and the worker's connections (exact, whatever else the server does), and of
 * every process named `postgres` (WAL writer, checkpointer, autovacuum too: best
 * effort, the local PostgreSQL should serve nothing else meanwhile) and bytes
 * (pg_total_relation_size of the partitions of events and deliveries ÷ their events).
 * Ratios compare it with plain hookgate in the same pair.
 *
 *   npm run bench   or   node --import tsx bench/pipeline/run.ts
 *   BENCH_SECONDS=8 BENCH_PAIRS=2 BENCH_CONNECTIONS=50 BENCH_WARMUP=500
 *   BENCH_DRAIN_TIMEOUT=300 BENCH_WORKER_CONCURRENCY=50 BENCH_LOG_LEVEL (default: the config's)
 *   BENCH_STALL=1: also the stalled-destination scenario (100 events, one destination
 *                  that never answers, timeout 5s, worker concurrency 10)
 *   BENCH_BUILD=0: skip `npm run build` (the bench runs dist/, so it builds first)
 *   BENCH_EVENT_LOG=1: also the "hookgate + event log" system, alternated in every pair
 *   BENCH_FLOOR=1: also the floor system (floor-ingress.ts, floor-worker.ts: Fastify and one
 *     XADD per request, a worker that POSTs each body to both routes with a bare undici
 *     dispatch; no verification, record, retries or history), alternated in every pair:
 *     the highest delivered rate any implementation on this stack reaches on this machine
 *   BENCH_CPU_PROF=<dir>: `--cpu-prof` for every hookgate system's ingress and worker (profiles in
 *     <dir>/<system>-<ingress|worker>/)
 *   BENCH_BASE=<dist dir>: also "hookgate@base", the same config run from another build (an
 *     earlier commit's `dist/`, e.g. from `git worktree add /tmp/base <commit>` + `npm ci` +
 *     `npm run build` there), alternated in every pair: a change's before and after in one run
 *
 * Only the CLI, a config file and HTTP are used, so the same bench measures any engine.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cpuMs } from '../process-cpu.js';
import { freePort } from '../spawn-server.js';
import {
  benchSchema,
  checkLog,
  checkPg,
  closePg,
  dropSchema,
  logLagMs,
  backendCpuMs,
  backendDelta,
  otherActivity,
  pgCpuMs,
  PG_URL,
  sampleLag,
  waitLogEmpty,
  LOG_STREAM,
  type LogCheck,
} from './event-log.js';
import { EventSource } from './events.js';
import {
  drain,
  send,
  setting,
  sleep,
  startReceiver,
  waitHealthy,
  type Progress,
  type Receiver,
} from './load.js';
import { removeDir, spawnTracked, stopChild, trackDir } from './processes.js';
import { startRedis, type BenchRedis, type RedisFigures } from './redis.js';

const SECONDS = setting('BENCH_SECONDS', 8);
const PAIRS = setting('BENCH_PAIRS', 2);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 50);
const CONCURRENCY = setting('BENCH_WORKER_CONCURRENCY', 50);
const WARMUP = setting('BENCH_WARMUP', 500);
const DRAIN_TIMEOUT_MS = setting('BENCH_DRAIN_TIMEOUT', 300) * 1000;
const STALL = process.env.BENCH_STALL === '1';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL;
const EVENT_LOG = process.env.BENCH_EVENT_LOG === '1';
const FLOOR = process.env.BENCH_FLOOR === '1';
const CPU_PROF = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;
const BASE_DIST = process.env.BENCH_BASE ? resolve(process.env.BENCH_BASE) : undefined;
const SECRET = 'whsec_pipeline_bench';
const ROUTES = ['a', 'b'];
/** After the drain: let the systems finish their bookkeeping before Redis is measured. */
const SETTLE_MS = 2000;
const IDLE_MS = 3000;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');

// ---------------------------------------------------------------- processes

function spawnNode(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): ChildProcess {
  // stdout (hookgate's logs) to /dev/null: a pipe nobody reads would block it.
  return spawnTracked(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

// ---------------------------------------------------------------- the two systems

interface Destination {
  route: string;
  /** Per-attempt timeout; default: the system's default (hookgate's 10s). */
  timeoutMs?: number;
}

interface Running {
  ingress: ChildProcess;
  worker: ChildProcess;
  /** Where the load generator sends (origin); the webhook path is /hooks/stripe for both. */
  origin: string;
  /** With the event log: the run's PostgreSQL schema (dropped by stop()). */
  schema?: string;
  stop(): Promise<void>;
}

interface System {
  name: string;
  start(
    redisUrl: string,
    receiver: string,
    destinations: Destination[],
    concurrency: number,
  ): Promise<Running>;
}

function hookgateSystem(name: string, eventLog: boolean, dist = DIST): System {
  return {
    name,
    async start(redisUrl, receiver, destinations, concurrency) {
      const port = await freePort();
      const schema = eventLog ? benchSchema() : undefined;
      const dir = trackDir(mkdtempSync(join(tmpdir(), 'hookgate-bench-pipeline-')));
      const file = join(dir, 'hookgate.yaml');
      // Everything not set here (retention, retry, timeouts, dedupe) is the config's default.
      const config = {
        server: { host: '127.0.0.1', port },
        redis: { url: redisUrl },
        // Deliveries in flight per destination (engine v2: `defaults.concurrency`; before
        // it, `worker.concurrency` was the worker's one pool): the baseline's Worker
        // concurrency, per route.
        defaults: { concurrency },
        ...(LOG_LEVEL ? { logLevel: LOG_LEVEL } : {}),
        // The only difference between the two hookgate systems (pool: the default).
        ...(schema ? { eventLog: { postgres: { url: PG_URL, schema } } } : {}),
        sources: {
          stripe: {
            verify: { type: 'stripe', secrets: [SECRET] },
            routes: destinations.map((d) => ({ to: d.route })),
          },
        },
        destinations: Object.fromEntries(
          destinations.map((d) => [
            d.route,
            {
              type: 'http',
              url: `${receiver}/${d.route}`,
              ...(d.timeoutMs ? { timeout: `${d.timeoutMs}ms` } : {}),
            },
          ]),
        ),
      };
      writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
      const cli = join(dist, 'src/cli/main.js');
      // Node 20 refuses --cpu-prof in NODE_OPTIONS: a flag of each process's node.
      const prof = (role: string) =>
        CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF, `${name}-${role}`)}`] : [];
      const ingress = spawnNode(cli, ['serve', '--config', file], {}, prof('ingress'));
      const worker = spawnNode(cli, ['worker', '--config', file], {}, prof('worker'));
      const origin = `http://127.0.0.1:${port}`;
      const stop = async () => {
        await Promise.all([stopChild(ingress), stopChild(worker)]);
        removeDir(dir);
        if (schema) await dropSchema(schema);
      };
      try {
        await waitHealthy(origin, ingress, 'hookgate serve');
      } catch (err) {
        await stop();
        throw err;
      }
      return { ingress, worker, origin, stop, ...(schema ? { schema } : {}) };
    },
  };
}

const hookgate = hookgateSystem('hookgate', false);
const hookgateLog = hookgateSystem('hookgate+log', true);
const hookgateBase = BASE_DIST ? hookgateSystem('hookgate@base', false, BASE_DIST) : undefined;

/**
 * A baseline of two scripts from dist/bench/pipeline: `<file>-ingress.js` (PORT) and
 * `<file>-worker.js` (URLS, CONCURRENCY), both with REDIS_URL and PREFIX, plus `env`.
 */
function scriptSystem(
  name: string,
  file: string,
  env: (destinations: Destination[]) => { ingress?: Record<string, string>; worker?: Record<string, string> },
): System {
  return {
    name,
    async start(redisUrl, receiver, destinations, concurrency) {
      const port = await freePort();
      const common = { REDIS_URL: redisUrl, PREFIX: file };
      const extra = env(destinations);
      const ingress = spawnNode(join(DIST, `bench/pipeline/${file}-ingress.js`), [], {
        ...common,
        PORT: String(port),
        ...extra.ingress,
      });
      const worker = spawnNode(join(DIST, `bench/pipeline/${file}-worker.js`), [], {
        ...common,
        URLS: destinations.map((d) => `${receiver}/${d.route}`).join(','),
        CONCURRENCY: String(concurrency),
        ...extra.worker,
      });
      const origin = `http://127.0.0.1:${port}`;
      const stop = async () => {
        await Promise.all([stopChild(ingress), stopChild(worker)]);
      };
      try {
        await waitHealthy(origin, ingress, `${name} ingress`);
      } catch (err) {
        await stop();
        throw err;
      }
      return { ingress, worker, origin, stop };
    },
  };
}

const handwritten = scriptSystem('hand-written', 'handwritten', (destinations) => ({
  ingress: { STRIPE_WEBHOOK_SECRET: SECRET },
  // One timeout for every URL, as a hand-written worker has.
  worker: { TIMEOUT_MS: String(Math.min(...destinations.map((d) => d.timeoutMs ?? 10_000))) },
}));

const floor = scriptSystem('floor', 'floor', () => ({}));

// ---------------------------------------------------------------- one measured run

interface Figures {
  system: string;
  accepted: number;
  non2xx: number;
  errors: number;
  /** 2xx'd events that reached every route. */
  delivered: number;
  missing: Record<string, string[]>;
  /** Delivered events/s, first request -> last delivery. */
  rate: number;
  /** 2xx/s during the load. */
  ingressRate: number;
  ingressCpuUs: number;
  workerCpuUs: number;
  redisCpuUs: number;
  memoryBytes: number;
  keys: number;
  p50Ms: number;
  p99Ms: number;
  /** Load start -> end of the measurement (drain + settle). */
  durationS: number;
  /** End of the load -> last delivery. */
  drainS: number;
  /** CPU ms per second with no traffic (before the load). */
  idle: { ingress: number; worker: number; redis: number; pg?: number; backends?: number };
  /** With the event log. */
  log?: LogFigures;
}

interface LogFigures {
  /** Largest log lag sampled from the load until the stream was empty (ms). */
  maxLagMs: number;
  lagSamples: number;
  /** Last delivery -> log stream empty (s); undefined: not empty within BENCH_DRAIN_TIMEOUT. */
  logDrainS?: number;
  /** Log lag once the measurement is over (ms; must be 0). */
  lagAfterMs: number;
  /** All the processes named postgres (anything else the server does included). */
  pgCpuUs: number;
  /** The backends of hookgate's connections only. */
  pgBackendCpuUs: number;
  pgBytes: number;
  check: LogCheck;
  /** 2xx'd events without a `hookgate-event-id` header (cannot be checked). */
  noHeader: number;
}

interface Snapshot {
  at: number;
  ingress: number;
  worker: number;
  redis: RedisFigures;
  /** With the event log: PostgreSQL's CPU (ms), all of its processes. */
  pg: number;
  /** With the event log: CPU (ms) of each backend serving the ingress and the worker. */
  backends: Map<number, number>;
}

async function snapshot(running: Running, redis: BenchRedis): Promise<Snapshot> {
  return {
    at: Date.now(),
    ingress: cpuMs(running.ingress.pid),
    worker: cpuMs(running.worker.pid),
    redis: await redis.info(),
    pg: running.schema ? pgCpuMs() : NaN,
    backends: running.schema
      ? await backendCpuMs([running.ingress.pid, running.worker.pid])
      : new Map<number, number>(),
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(system: System, receiver: Receiver): Promise<Figures> {
  const redis = await startRedis();
  let running: Running | undefined;
  let client: Redis | undefined;
  try {
    await receiver.call('/_reset', {});
    running = await system.start(
      redis.url,
      receiver.url,
      ROUTES.map((route) => ({ route })),
      CONCURRENCY,
    );
    const schema = running.schema;
    // The bench's own connection for the log stream (a few commands a second).
    if (schema) client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const events = new EventSource(SECRET);
    // Warm-up (JIT, connections), also the sign that the worker process is up.
    if (WARMUP > 0) {
      const warm = await send(running.origin, events, { amount: WARMUP, connections: 10 });
      if (!(await drain(receiver, [...warm.ok.keys()], ROUTES, 120_000)) || warm.ok.size === 0) {
        throw new Error(`${system.name}: the warm-up (${warm.ok.size} events 2xx'd) did not drain in 120 s`);
      }
      if (client) {
        // The warm-up's events in PostgreSQL and let go by Redis before the baseline.
        if ((await client.type(LOG_STREAM)) !== 'stream')
          throw new Error(`${system.name}: no log stream ${LOG_STREAM} after the warm-up`);
        if ((await waitLogEmpty(client, 120_000)) === undefined)
          throw new Error(`${system.name}: the warm-up's log stream did not empty in 120 s`);
      }
      await sleep(1000);
    }
    // What the processes spend doing nothing (timers, polling) is in every per-event
    // figure below, more so in a long drain: measured alone here, to tell it apart.
    const idleFrom = await snapshot(running, redis);
    await sleep(IDLE_MS);
    const before = await snapshot(running, redis);
    const idleS = (before.at - idleFrom.at) / 1000;
    const lag = client ? sampleLag(client) : undefined;
    const sent = await send(running.origin, events, { duration: SECONDS, connections: CONNECTIONS });
    // The ingress has nothing to do once the load is over.
    const ingressAfterLoad = cpuMs(running.ingress.pid);
    const ids = [...sent.ok.keys()];
    const drained = await drain(receiver, ids, ROUTES, DRAIN_TIMEOUT_MS);
    // With the event log the measurement ends once PostgreSQL has every event.
    const logEmptyAt = client && drained ? await waitLogEmpty(client, DRAIN_TIMEOUT_MS) : undefined;
    await lag?.stop();
    if (drained) await sleep(SETTLE_MS);
    const after = await snapshot(running, redis);

    const arrivals = await Promise.all(
      ROUTES.map((route) => receiver.call<(number | null)[]>(`/_arrivals?route=${route}`)),
    );
    const missing: Record<string, string[]> = {};
    const latencies: number[] = [];
    let last = 0;
    ids.forEach((id, i) => {
      let at = 0;
      ROUTES.forEach((route, r) => {
        const t = arrivals[r]![i];
        if (t === null || t === undefined) (missing[route] ??= []).push(id);
        else at = Math.max(at, t);
      });
      if (ROUTES.every((_, r) => typeof arrivals[r]![i] === 'number')) {
        latencies.push(at - sent.ok.get(id)!);
        last = Math.max(last, at);
      }
    });
    latencies.sort((a, b) => a - b);
    const n = ids.length || NaN;
    let log: LogFigures | undefined;
    if (client && schema && lag) {
      const lagAfterMs = await logLagMs(client);
      const check = await checkLog(schema, sent.hookgateIds, ROUTES.length);
      log = {
        maxLagMs: lag.max(),
        lagSamples: lag.samples(),
        ...(logEmptyAt !== undefined ? { logDrainS: (logEmptyAt - last) / 1000 } : {}),
        lagAfterMs,
        pgCpuUs: ((after.pg - before.pg) * 1000) / n,
        pgBackendCpuUs: (backendDelta(before.backends, after.backends) * 1000) / n,
        pgBytes: check.bytes / check.events,
        check,
        noHeader: ids.length - sent.hookgateIds.size,
      };
    }
    return {
      system: system.name,
      accepted: ids.length,
      non2xx: sent.non2xx,
      errors: sent.errors,
      delivered: latencies.length,
      missing,
      rate: latencies.length / ((last - sent.startedAt) / 1000),
      ingressRate: ids.length / ((sent.endedAt - sent.startedAt) / 1000),
      ingressCpuUs: ((ingressAfterLoad - before.ingress) * 1000) / n,
      workerCpuUs: ((after.worker - before.worker) * 1000) / n,
      redisCpuUs: ((after.redis.cpuMs - before.redis.cpuMs) * 1000) / n,
      memoryBytes: (after.redis.memory - before.redis.memory) / n,
      keys: (after.redis.keys - before.redis.keys) / n,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      durationS: (after.at - before.at) / 1000,
      idle: {
        ingress: (before.ingress - idleFrom.ingress) / idleS,
        worker: (before.worker - idleFrom.worker) / idleS,
        redis: (before.redis.cpuMs - idleFrom.redis.cpuMs) / idleS,
        ...(schema
          ? {
              pg: (before.pg - idleFrom.pg) / idleS,
              backends: backendDelta(idleFrom.backends, before.backends) / idleS,
            }
          : {}),
      },
      drainS: (last - sent.endedAt) / 1000,
      ...(log ? { log } : {}),
    };
  } finally {
    client?.disconnect();
    await running?.stop();
    await redis.destroy();
  }
}

/** The event log's check passed: every 2xx'd event in <schema>.events as it should be, and the log empty. */
function logOk(f: Figures): boolean {
  const l = f.log;
  if (!l) return true;
  return (
    !l.check.missing.length &&
    !l.check.wrong.length &&
    l.noHeader === 0 &&
    l.lagAfterMs === 0 &&
    l.logDrainS !== undefined
  );
}

// ---------------------------------------------------------------- stalled destination

interface StallFigures {
  system: string;
  healthyAt20s: number;
  sent: number;
  /** Seconds from the first request until all reached the healthy destination, if within 20 s. */
  allAfterS?: number;
  stalledRequests: number;
}

const STALL_EVENTS = 100;
const STALL_WINDOW_MS = 20_000;

/**
 * One destination that never answers (timeout 5s) and one healthy, worker concurrency
 * 10, 100 events: how many reach the healthy one within 20 s of the first request.
 */
async function stall(system: System, receiver: Receiver): Promise<StallFigures> {
  const redis = await startRedis();
  let running: Running | undefined;
  try {
    await receiver.call('/_reset', {});
    const destinations = [{ route: 'stall', timeoutMs: 5000 }, { route: 'a' }];
    running = await system.start(redis.url, receiver.url, destinations, 10);
    const events = new EventSource(SECRET);
    // One probe event, once it reached the healthy route the worker is up. Its stalled
    // delivery keeps retrying meanwhile, as a stalled partner's deliveries do.
    const probe = await send(running.origin, events, { amount: 1, connections: 1 });
    if (!(await drain(receiver, [...probe.ok.keys()], ['a'], 60_000))) {
      throw new Error(`${system.name}: the probe event did not reach the healthy destination in 60 s`);
    }
    const startedAt = Date.now();
    const sent = await send(running.origin, events, { amount: STALL_EVENTS, connections: 10 });
    await receiver.call('/_expect', { ids: [...sent.ok.keys()], routes: ['a'] });
    let allAfterS: number | undefined;
    let p: Progress;
    for (;;) {
      p = await receiver.call<Progress>('/_progress');
      if (p.missing.a === 0 && allAfterS === undefined) allAfterS = (p.last - startedAt) / 1000;
      if (Date.now() - startedAt >= STALL_WINDOW_MS) break;
      await sleep(100);
    }
    return {
      system: system.name,
      sent: sent.ok.size,
      healthyAt20s: sent.ok.size - p.missing.a!,
      ...(allAfterS === undefined ? {} : { allAfterS }),
      stalledRequests: p.requests.stall ?? 0,
    };
  } finally {
    await running?.stop();
    await redis.destroy();
  }
}

// ---------------------------------------------------------------- output

const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const duration = (ms: number) =>
  !Number.isFinite(ms) ? '—' : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function printRun(f: Figures, pair: number): void {
  const missing = Object.entries(f.missing);
  const check = missing.length
    ? `MISSING ${missing.map(([route, ids]) => `${ids.length} on /${route}`).join(', ')}`
    : 'every one reached both routes';
  console.log(
    `  pair ${pair} ${f.system.padEnd(12)} ${int(f.accepted)} 2xx (${f.non2xx} non-2xx, ${f.errors} errors), ` +
      `${check}; ${int(f.rate)} events/s delivered, drain ${f.drainS.toFixed(1)} s after the load, ` +
      `measured over ${f.durationS.toFixed(1)} s; idle CPU ms/s: ingress ${f.idle.ingress.toFixed(1)}, ` +
      `worker ${f.idle.worker.toFixed(1)}, Redis ${f.idle.redis.toFixed(1)}`,
  );
  for (const [route, ids] of missing) {
    console.log(`    missing on /${route}: ${ids.slice(0, 10).join(' ')}${ids.length > 10 ? ' …' : ''}`);
  }
  const l = f.log;
  if (!l) return;
  const c = l.check;
  console.log(
    `    event log: max lag ${duration(l.maxLagMs)} (${l.lagSamples} samples), log empty ` +
      `${l.logDrainS === undefined ? 'NOT within the drain timeout' : `${l.logDrainS.toFixed(1)} s after the last delivery`}, ` +
      `lag after ${duration(l.lagAfterMs)}; ${int(f.accepted - c.missing.length - l.noHeader)}/${int(f.accepted)} 2xx'd events in ` +
      `<schema>.events (${c.missing.length} missing, ${c.wrong.length} not delivered/wrong, ${l.noHeader} without an id header), ` +
      `${int(c.events)} rows, ${kb(c.bytes)}, ${int(l.pgBytes)} B/event; PostgreSQL idle CPU ms/s: all ${f.idle.pg?.toFixed(1)}, hookgate's backends ${f.idle.backends?.toFixed(1)}`,
  );
  if (c.missing.length) console.log(`    not in the log: ${c.missing.slice(0, 10).join(' ')}`);
  if (c.wrong.length) console.log(`    wrong in the log: ${c.wrong.slice(0, 10).join(' ')}`);
}

interface Row {
  label: string;
  value: (f: Figures) => number;
  show: (f: Figures[]) => string;
}

const rows: Row[] = [
  {
    label: 'delivered events/s (first request → last delivery)',
    value: (f) => f.rate,
    show: (fs) => int(median(fs.map((f) => f.rate))),
  },
  {
    label: 'ingress 2xx/s during the load',
    value: (f) => f.ingressRate,
    show: (fs) => int(median(fs.map((f) => f.ingressRate))),
  },
  {
    label: 'ingress CPU',
    value: (f) => f.ingressCpuUs,
    show: (fs) => `${int(median(fs.map((f) => f.ingressCpuUs)))} µs`,
  },
  {
    label: 'worker CPU (two deliveries)',
    value: (f) => f.workerCpuUs,
    show: (fs) => `${int(median(fs.map((f) => f.workerCpuUs)))} µs`,
  },
  {
    label: 'Redis CPU',
    value: (f) => f.redisCpuUs,
    show: (fs) => `${int(median(fs.map((f) => f.redisCpuUs)))} µs`,
  },
  {
    label: 'Redis memory kept (default retention)',
    value: (f) => f.memoryBytes,
    show: (fs) =>
      `${kb(median(fs.map((f) => f.memoryBytes)))}, ${median(fs.map((f) => f.keys)).toFixed(1)} keys`,
  },
  {
    label: '2xx → delivered p50',
    value: (f) => f.p50Ms,
    show: (fs) => duration(median(fs.map((f) => f.p50Ms))),
  },
  {
    label: '2xx → delivered p99',
    value: (f) => f.p99Ms,
    show: (fs) => duration(median(fs.map((f) => f.p99Ms))),
  },
];

/** Rows only the event-log system has. */
const logRows: { label: string; show: (fs: Figures[]) => string }[] = [
  {
    label: "PostgreSQL CPU, hookgate's backends",
    show: (fs) => `${int(median(fs.map((f) => f.log!.pgBackendCpuUs)))} µs`,
  },
  {
    label: 'PostgreSQL CPU, all postgres processes (others too)',
    show: (fs) => `${int(median(fs.map((f) => f.log!.pgCpuUs)))} µs`,
  },
  {
    label: 'PostgreSQL bytes (events + deliveries partitions)',
    show: (fs) => `${int(median(fs.map((f) => f.log!.pgBytes)))} B`,
  },
  {
    label: 'max log lag (load + drain, 250 ms samples)',
    show: (fs) => duration(Math.max(...fs.map((f) => f.log!.maxLagMs))),
  },
  {
    label: 'log drain (last delivery → log stream empty)',
    show: (fs) =>
      fs
        .map((f) => (f.log!.logDrainS === undefined ? 'NOT EMPTY' : `${f.log!.logDrainS.toFixed(1)} s`))
        .join(', '),
  },
  { label: 'log lag after the drain', show: (fs) => fs.map((f) => duration(f.log!.lagAfterMs)).join(', ') },
];

/** A row's value of system x over system y, pair by pair (within a pair: the same machine state). */
function pairRatios(pairs: Figures[][], row: Row, x: number, y: number): number[] {
  return pairs.map((p) => row.value(p[x]!) / row.value(p[y]!));
}

/** "yes (delivered/accepted, …)" when every 2xx'd event of every run reached both routes. */
function reachedAll(fs: Figures[]): string {
  return (
    (fs.every((f) => !Object.keys(f.missing).length) ? 'yes' : 'NO') +
    ` (${fs.map((f) => `${int(f.delivered)}/${int(f.accepted)}`).join(', ')})`
  );
}

function printPerPair(title: string, pairs: Figures[][], x: number, y: number, shown = rows): void {
  console.log(`\n${title}, per pair:`);
  for (const row of shown)
    console.log(`  ${row.label.padEnd(52)} ${pairRatios(pairs, row, x, y).map(ratio).join('  ')}`);
}

/** Each pair: hookgate, hand-written, then (BENCH_EVENT_LOG=1) hookgate + event log. */
function printTable(pairs: Figures[][]): void {
  const h = pairs.map((p) => p[0]!);
  const b = pairs.map((p) => p[1]!);
  const withLog = EVENT_LOG;
  const l = withLog ? pairs.map((p) => p[2]!) : [];
  // Ratios within each pair (same machine state), then the median over pairs.
  const mid = (row: Row, x: number, y: number) => ratio(median(pairRatios(pairs, row, x, y)));
  console.log(
    `\n| per event (median of ${pairs.length} pairs) | hookgate | hand-written |` +
      `${withLog ? ' hookgate + event log |' : ''} hookgate ÷ hand-written |${withLog ? ' with log ÷ without |' : ''}`,
  );
  console.log(`|---|---|---|---|${withLog ? '---|---|' : ''}`);
  for (const row of rows) {
    console.log(
      `| ${row.label} | ${row.show(h)} | ${row.show(b)} |${withLog ? ` ${row.show(l)} |` : ''} ` +
        `${mid(row, 0, 1)} |${withLog ? ` ${mid(row, 2, 0)} |` : ''}`,
    );
  }
  console.log(
    `| every 2xx'd event reached both routes | ${reachedAll(h)} | ${reachedAll(b)} |${withLog ? ` ${reachedAll(l)} | |` : ''} |`,
  );
  if (withLog) {
    for (const row of logRows) console.log(`| ${row.label} | | | ${row.show(l)} | | |`);
    const inLog = (f: Figures) =>
      `${int(f.accepted - f.log!.check.missing.length - f.log!.noHeader)}/${int(f.accepted)}`;
    console.log(
      `| every 2xx'd event in <schema>.events, delivered | | | ${l.every(logOk) ? 'yes' : 'NO'} (${l.map(inLog).join(', ')}) | | |`,
    );
  }
  printPerPair('hookgate ÷ hand-written', pairs, 0, 1);
  if (withLog) printPerPair('hookgate + event log ÷ hookgate', pairs, 2, 0);
  if (hookgateBase) {
    // This build against another (BENCH_BASE): a change's effect, in the same run.
    const at = systemIndex(pairs, hookgateBase.name);
    console.log(`\nhookgate@base: ${BASE_DIST}`);
    printSystem(pairs, at, [['hookgate ÷ hookgate@base', 0, at]], rows);
  }
  if (FLOOR) {
    const at = systemIndex(pairs, floor.name);
    const cpuRows = rows.slice(0, 5);
    printSystem(
      pairs,
      at,
      [
        ['floor ÷ hand-written', at, 1],
        ['hookgate ÷ floor', 0, at],
      ],
      cpuRows,
    );
  }
}

function systemIndex(pairs: Figures[][], name: string): number {
  return pairs[0]!.findIndex((f) => f.system === name);
}

/**
 * One more system's table: its figures and the given ratios (medians over the pairs),
 * then the first ratio pair by pair.
 */
function printSystem(
  pairs: Figures[][],
  at: number,
  ratios: [title: string, x: number, y: number][],
  shown: Row[],
): void {
  const fs = pairs.map((p) => p[at]!);
  const name = fs[0]!.system;
  console.log(
    `\n| per event | ${name} | ${ratios.map(([title]) => title).join(' | ')} |\n|---|---|${ratios.map(() => '---|').join('')}`,
  );
  for (const row of shown) {
    const cells = ratios.map(([, x, y]) => ratio(median(pairRatios(pairs, row, x, y))));
    console.log(`| ${row.label} | ${row.show(fs)} | ${cells.join(' | ')} |`);
  }
  console.log(
    `| every 2xx'd event reached both routes | ${reachedAll(fs)} |${ratios.map(() => ' |').join('')}`,
  );
  const [title, x, y] = ratios[0]!;
  printPerPair(title, pairs, x, y, shown);
}

// ---------------------------------------------------------------- main

if (process.env.BENCH_BUILD !== '0') {
  // The processes run the built CLI (dist/), as a user runs it: build what is measured.
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
}

console.log(
  `\npipeline bench: ${PAIRS} pairs, ${CONNECTIONS} connections for ${SECONDS} s, worker concurrency ` +
    `${CONCURRENCY}, warm-up ${WARMUP} events; Node ${process.version}; ${cpus().length} CPUs, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; a throwaway redis-server per run`,
);
if (EVENT_LOG) {
  const busy = await otherActivity();
  console.log(
    `event log: ${await checkPg()} at ${PG_URL.replace(/\/\/[^@/]*@/, '//…@')}, a fresh schema per run; ` +
      `${busy} other session(s) busy on it now (they would count in its CPU)`,
  );
}
if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true });
const receiver = await startReceiver();
let failed = false;
try {
  const systems = [
    hookgate,
    handwritten,
    ...(EVENT_LOG ? [hookgateLog] : []),
    ...(hookgateBase ? [hookgateBase] : []),
    ...(FLOOR ? [floor] : []),
  ];
  const pairs: Figures[][] = [];
  for (let i = 1; i <= PAIRS; i++) {
    const pair: Figures[] = [];
    // Alternated in every pair; with a third system the order rotates, so that no system
    // always runs first or right after another (the default two keep their order).
    for (let k = 0; k < systems.length; k++) {
      const f = await measure(systems[systems.length > 2 ? (k + i - 1) % systems.length : k]!, receiver);
      printRun(f, i);
      pair.push(f);
      if (Object.keys(f.missing).length || !logOk(f)) failed = true;
    }
    pairs.push(systems.map((s) => pair.find((f) => f.system === s.name)!));
  }
  if (pairs.length) printTable(pairs);

  if (STALL) {
    console.log(
      `\nstalled destination: ${STALL_EVENTS} events, one destination never answers (timeout 5s), ` +
        'one healthy, worker concurrency 10',
    );
    for (const system of [hookgate, handwritten]) {
      const s = await stall(system, receiver);
      console.log(
        `  ${s.system.padEnd(12)} healthy destination received ${s.healthyAt20s} of ${s.sent} after 20 s` +
          `${s.allAfterS === undefined ? '' : ` (all of them ${s.allAfterS.toFixed(1)} s after the first request)`}; ` +
          `the stalled one was sent ${s.stalledRequests} requests`,
      );
    }
  }
} finally {
  await stopChild(receiver.child);
  await closePg();
}
process.exitCode = failed ? 1 : 0;
