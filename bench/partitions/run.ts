/**
 * `redis.partitions` on a Redis Cluster (#12): does a pipeline run spread its keys and
 * its Redis CPU over the masters? The pipeline bench's hookgate (`hookgate serve` + one
 * `hookgate worker` from dist/, one Stripe source with two HTTP routes, the same
 * Stripe-signed load and receiver: bench/pipeline/load.ts) on a throwaway 3-master
 * cluster (test/helpers/redis-cluster.ts, no replicas, no persistence; a fresh cluster
 * per run, so every node's INFO counts that run alone), two configs alternated in
 * every pair:
 *
 *   partitions 1:  redis: { prefix: '{hookgate}', partitions: 1, cluster: { nodes } }
 *                  (one partition in cluster mode needs the hash tag: every key on one slot)
 *   partitions 6:  redis: { prefix: hookgate, partitions: 6, cluster: { nodes } }
 *                  (per-event keys under `{hookgate:0}` … `{hookgate:5}`, what every
 *                  partition shares under `{hookgate}`, src/queue/keys.ts)
 *
 * A run: warm-up (BENCH_WARMUP events at 10 connections, drained), 3 s idle, the load
 * (BENCH_CONNECTIONS for BENCH_SECONDS), the drain (until every 2xx'd event reached both
 * routes, at most BENCH_DRAIN_TIMEOUT s), 2 s settle. Per run: delivered events/s
 * (events on both routes / first request -> last delivery), ingress and worker CPU per
 * 2xx'd event (/proc; the ingress until the load is over), and per master: its hash
 * tags (CLUSTER KEYSLOT + CLUSTER SLOTS), used_cpu_sys + used_cpu_user delta (INFO cpu,
 * idle 3 s before -> after the settle) per event and its share of the masters' total
 * (within ±20% of a third, i.e. 26.7%–40%: yes/no), DBSIZE and used_memory after the
 * settle (and the delta over the load), and keys per hash tag (SCAN, after the figures).
 *
 *   npm run bench -- partitions   or   node --import tsx bench/partitions/run.ts
 *   BENCH_SECONDS=8 BENCH_PAIRS=2 BENCH_CONNECTIONS=50 BENCH_WARMUP=500
 *   BENCH_DRAIN_TIMEOUT=300 BENCH_WORKER_CONCURRENCY=50 BENCH_PARTITIONS=6
 *   BENCH_BUILD=0: skip `npm run build` (the bench runs dist/)
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { clusterToolsMissing, startRedisCluster } from '../../test/helpers/redis-cluster.js';
import { cpuMs } from '../process-cpu.js';
import { freePort } from '../spawn-server.js';
import { EventSource } from '../pipeline/events.js';
import { drain, send, setting, sleep, startReceiver, waitHealthy, type Receiver } from '../pipeline/load.js';
import { removeDir, spawnTracked, stopChild, trackDir } from '../pipeline/processes.js';

const SECONDS = setting('BENCH_SECONDS', 8);
const PAIRS = setting('BENCH_PAIRS', 2);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 50);
const CONCURRENCY = setting('BENCH_WORKER_CONCURRENCY', 50);
const WARMUP = setting('BENCH_WARMUP', 500);
const DRAIN_TIMEOUT_MS = setting('BENCH_DRAIN_TIMEOUT', 300) * 1000;
const PARTITIONS = setting('BENCH_PARTITIONS', 6);
const SECRET = 'whsec_partitions_bench';
const ROUTES = ['a', 'b'];
const SETTLE_MS = 2000;
const IDLE_MS = 3000;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');

interface Variant {
  name: string;
  partitions: number;
  prefix: string;
  /** Hash tags its keys live under. */
  tags: string[];
}
const VARIANTS: Variant[] = [
  { name: 'partitions 1', partitions: 1, prefix: '{hookgate}', tags: ['hookgate'] },
  {
    name: `partitions ${PARTITIONS}`,
    partitions: PARTITIONS,
    prefix: 'hookgate',
    tags: ['hookgate', ...Array.from({ length: PARTITIONS }, (_, i) => `hookgate:${i}`)],
  },
];

// ---------------------------------------------------------------- the throwaway cluster

/** The `t` startRedisCluster wants: teardowns run after the run (and SIGKILLs at exit). */
function teardowns() {
  const fns: (() => unknown)[] = [];
  return {
    teardown: (fn: () => unknown) => void fns.push(fn),
    async run() {
      for (const fn of fns.splice(0).reverse()) await fn();
    },
    /** At process exit: the nodes' SIGKILLs are sent synchronously by the helper's teardown. */
    now() {
      for (const fn of fns) void fn();
    },
  };
}
const pending = new Set<ReturnType<typeof teardowns>>();
process.once('exit', () => {
  for (const t of pending) t.now();
});

interface NodeFigures {
  cpuMs: number;
  memory: number;
  keys: number;
  /** INFO commandstats: calls per command. */
  calls: Map<string, number>;
}

interface Master {
  port: number;
  client: Redis;
  /** Hash tags of this variant (`{tag}`) whose slot this master serves. */
  tags: string[];
}

async function masters(ports: number[], tags: string[]): Promise<Master[]> {
  const clients = ports.map((port) => {
    const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    c.on('error', () => {});
    return c;
  });
  const slots = (await clients[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const portOf = async (tag: string) => {
    const slot = Number(await clients[0]!.call('CLUSTER', 'KEYSLOT', `{${tag}}`));
    return slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
  };
  const owner = new Map<string, number>();
  for (const tag of tags) owner.set(tag, await portOf(tag));
  return ports.map((port, i) => ({
    port,
    client: clients[i]!,
    tags: tags.filter((t) => owner.get(t) === port).map((t) => `{${t}}`),
  }));
}

async function nodeFigures(m: Master): Promise<NodeFigures> {
  const [cpu, memory, keys, stats] = await Promise.all([
    m.client.info('cpu'),
    m.client.info('memory'),
    m.client.dbsize(),
    m.client.info('commandstats'),
  ]);
  const calls = new Map<string, number>();
  for (const [, name, n] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(name!, Number(n));
  const field = (text: string, name: string) =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    cpuMs: (field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys')) * 1000,
    memory: field(memory, 'used_memory'),
    keys,
    calls,
  };
}

function commands(before: Map<string, number>, after: Map<string, number>, n: number) {
  const delta = [...after].map(([name, c]) => [name, (c - (before.get(name) ?? 0)) / n] as [string, number]);
  return {
    callsPerEvent: delta.reduce((a, [, c]) => a + c, 0),
    top: delta.sort((a, b) => b[1] - a[1]).slice(0, 3),
  };
}

/** Keys per hash tag on this node (SCAN; after the measured figures). */
async function keysByTag(m: Master): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await m.client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const tag = /\{[^}]+\}/.exec(key)?.[0] ?? '(no tag)';
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
  } while (cursor !== '0');
  return counts;
}

// ---------------------------------------------------------------- one run

interface Figures {
  variant: string;
  accepted: number;
  non2xx: number;
  errors: number;
  delivered: number;
  missing: Record<string, number>;
  rate: number;
  ingressCpuUs: number;
  workerCpuUs: number;
  drainS: number;
  nodes: {
    port: number;
    tags: string[];
    cpuUs: number;
    share: number;
    idleMsPerS: number;
    keys: number;
    memory: number;
    memoryDelta: number;
    byTag: Map<string, number>;
    /** Commands per event over the measurement (the bench's own INFO calls included, a few). */
    callsPerEvent: number;
    /** The three commands called most, per event. */
    top: [string, number][];
  }[];
}

async function measure(variant: Variant, receiver: Receiver): Promise<Figures> {
  const t = teardowns();
  pending.add(t);
  let ingress: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let nodes: Master[] = [];
  const dir = trackDir(mkdtempSync(join(tmpdir(), 'hookgate-bench-partitions-')));
  try {
    const cluster = await startRedisCluster(t);
    nodes = await masters(cluster.ports, variant.tags);
    await receiver.call('/_reset', {});
    const port = await freePort();
    const file = join(dir, 'hookgate.yaml');
    const config = {
      server: { host: '127.0.0.1', port },
      redis: { prefix: variant.prefix, partitions: variant.partitions, cluster: { nodes: cluster.nodes } },
      defaults: { concurrency: CONCURRENCY },
      sources: {
        stripe: { verify: { type: 'stripe', secrets: [SECRET] }, routes: ROUTES.map((to) => ({ to })) },
      },
      destinations: Object.fromEntries(ROUTES.map((r) => [r, { type: 'http', url: `${receiver.url}/${r}` }])),
    };
    writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
    const spawnCli = (cmd: string) =>
      spawnTracked(process.execPath, [CLI, cmd, '--config', file], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    ingress = spawnCli('serve');
    worker = spawnCli('worker');
    const origin = `http://127.0.0.1:${port}`;
    await waitHealthy(origin, ingress, 'hookgate serve');
    const events = new EventSource(SECRET);
    if (WARMUP > 0) {
      const warm = await send(origin, events, { amount: WARMUP, connections: 10 });
      if (!(await drain(receiver, [...warm.ok.keys()], ROUTES, 120_000)) || warm.ok.size === 0)
        throw new Error(`${variant.name}: the warm-up (${warm.ok.size} events 2xx'd) did not drain in 120 s`);
      await sleep(1000);
    }
    const idleFrom = await Promise.all(nodes.map(nodeFigures));
    const idleAt = Date.now();
    await sleep(IDLE_MS);
    const before = await Promise.all(nodes.map(nodeFigures));
    const idleS = (Date.now() - idleAt) / 1000;
    const cpuBefore = { ingress: cpuMs(ingress.pid), worker: cpuMs(worker.pid) };
    const sent = await send(origin, events, { duration: SECONDS, connections: CONNECTIONS });
    const ingressAfterLoad = cpuMs(ingress.pid);
    const ids = [...sent.ok.keys()];
    const drained = await drain(receiver, ids, ROUTES, DRAIN_TIMEOUT_MS);
    if (drained) await sleep(SETTLE_MS);
    const after = await Promise.all(nodes.map(nodeFigures));
    const workerAfter = cpuMs(worker.pid);

    const arrivals = await Promise.all(
      ROUTES.map((route) => receiver.call<(number | null)[]>(`/_arrivals?route=${route}`)),
    );
    const missing: Record<string, number> = {};
    let delivered = 0;
    let last = 0;
    ids.forEach((_, i) => {
      let all = true;
      ROUTES.forEach((route, r) => {
        const at = arrivals[r]![i];
        if (typeof at !== 'number') {
          missing[route] = (missing[route] ?? 0) + 1;
          all = false;
        } else last = Math.max(last, at);
      });
      if (all) delivered++;
    });
    const n = ids.length || NaN;
    const deltas = nodes.map((_, i) => after[i]!.cpuMs - before[i]!.cpuMs);
    const total = deltas.reduce((a, b) => a + b, 0);
    const byTag = await Promise.all(nodes.map(keysByTag));
    return {
      variant: variant.name,
      accepted: ids.length,
      non2xx: sent.non2xx,
      errors: sent.errors,
      delivered,
      missing,
      rate: delivered / ((last - sent.startedAt) / 1000),
      ingressCpuUs: ((ingressAfterLoad - cpuBefore.ingress) * 1000) / n,
      workerCpuUs: ((workerAfter - cpuBefore.worker) * 1000) / n,
      drainS: (last - sent.endedAt) / 1000,
      nodes: nodes.map((m, i) => ({
        port: m.port,
        tags: m.tags,
        cpuUs: (deltas[i]! * 1000) / n,
        share: deltas[i]! / total,
        idleMsPerS: (before[i]!.cpuMs - idleFrom[i]!.cpuMs) / idleS,
        keys: after[i]!.keys,
        memory: after[i]!.memory,
        memoryDelta: after[i]!.memory - before[i]!.memory,
        byTag: byTag[i]!,
        ...commands(before[i]!.calls, after[i]!.calls, n),
      })),
    };
  } finally {
    await Promise.all([ingress && stopChild(ingress), worker && stopChild(worker)]);
    for (const m of nodes) m.client.disconnect();
    removeDir(dir);
    await t.run();
    pending.delete(t);
  }
}

// ---------------------------------------------------------------- output

const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** Within ±20% of a third of the masters' total. */
const even = (share: number, count: number) => (Math.abs(share - 1 / count) <= 0.2 / count ? 'yes' : 'no');

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function printRun(f: Figures, pair: number): void {
  const missing = Object.entries(f.missing);
  const check = missing.length
    ? `MISSING ${missing.map(([route, k]) => `${k} on /${route}`).join(', ')}`
    : 'every one reached both routes';
  console.log(
    `  pair ${pair} ${f.variant}: ${int(f.accepted)} 2xx (${f.non2xx} non-2xx, ${f.errors} errors), ` +
      `${int(f.delivered)} on both routes: ${check}; ${int(f.rate)} events/s delivered, drain ` +
      `${f.drainS.toFixed(1)} s after the load; ingress ${int(f.ingressCpuUs)} µs, worker ${int(f.workerCpuUs)} µs CPU/event`,
  );
  const count = f.nodes.length;
  for (const node of f.nodes) {
    const tags = [...node.byTag.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([tag, k]) => `${tag} ${int(k)}`)
      .join(', ');
    console.log(
      `    master :${node.port} slots of ${node.tags.join(' ') || '(none of the tags)'}: Redis CPU ` +
        `${int(node.cpuUs)} µs/event, ${pct(node.share)} of the masters' (within ±20% of a third: ` +
        `${even(node.share, count)}), idle ${node.idleMsPerS.toFixed(1)} ms/s; ${int(node.keys)} keys ` +
        `(${tags || 'none'}), used_memory ${mb(node.memory)} (+${mb(node.memoryDelta)} over the load); ` +
        `${node.callsPerEvent.toFixed(1)} commands/event (${node.top.map(([c, k]) => `${c} ${k.toFixed(2)}`).join(', ')})`,
    );
  }
}

function printTable(runs: Figures[]): void {
  console.log(`\n| median of ${PAIRS} pairs | ${VARIANTS.map((v) => v.name).join(' | ')} |`);
  console.log(`|---|${VARIANTS.map(() => '---').join('|')}|`);
  const of = (v: Variant) => runs.filter((f) => f.variant === v.name);
  const row = (label: string, show: (fs: Figures[]) => string) =>
    console.log(`| ${label} | ${VARIANTS.map((v) => show(of(v))).join(' | ')} |`);
  row('delivered events/s', (fs) => int(median(fs.map((f) => f.rate))));
  row('ingress CPU / event', (fs) => `${int(median(fs.map((f) => f.ingressCpuUs)))} µs`);
  row('worker CPU / event (two deliveries)', (fs) => `${int(median(fs.map((f) => f.workerCpuUs)))} µs`);
  row(
    'Redis CPU / event, all masters',
    (fs) => `${int(median(fs.map((f) => f.nodes.reduce((a, n) => a + n.cpuUs, 0))))} µs`,
  );
  // Masters ordered by their share in each run (busiest first): the nodes are new in every run.
  for (let k = 0; k < 3; k++) {
    const nth = (f: Figures) => [...f.nodes].sort((a, b) => b.share - a.share)[k];
    row(`Redis CPU, ${['busiest', '2nd', '3rd'][k]} master: µs/event, share, ±20% of ⅓?`, (fs) =>
      fs
        .map((f) => nth(f))
        .map((n) => (n ? `${int(n.cpuUs)} µs ${pct(n.share)} ${even(n.share, 3)}` : '—'))
        .join('; '),
    );
  }
  row('Redis commands / event, all masters (INFO commandstats)', (fs) =>
    median(fs.map((f) => f.nodes.reduce((a, n) => a + n.callsPerEvent, 0))).toFixed(1),
  );
  row('keys per master after the drain (DBSIZE)', (fs) =>
    fs.map((f) => f.nodes.map((n) => int(n.keys)).join(' / ')).join('; '),
  );
  row('used_memory per master after the drain', (fs) =>
    fs.map((f) => f.nodes.map((n) => mb(n.memory)).join(' / ')).join('; '),
  );
  row(
    "every 2xx'd event on both routes",
    (fs) =>
      (fs.every((f) => !Object.keys(f.missing).length) ? 'yes' : 'NO') +
      ` (${fs.map((f) => `${int(f.delivered)}/${int(f.accepted)}`).join(', ')})`,
  );
  // Ratios within each pair (same machine state): runs come in pairs, one of each variant.
  const [one, many] = VARIANTS.map(of);
  const redis = (f: Figures) => f.nodes.reduce((a, n) => a + n.cpuUs, 0);
  const ratios = (value: (f: Figures) => number) =>
    one!.map((f, i) => `${(value(many![i]!) / value(f)).toFixed(2)}×`).join('  ');
  console.log(`\n${VARIANTS[1]!.name} ÷ ${VARIANTS[0]!.name}, per pair:`);
  console.log(`  delivered events/s        ${ratios((f) => f.rate)}`);
  console.log(`  ingress CPU / event       ${ratios((f) => f.ingressCpuUs)}`);
  console.log(`  worker CPU / event        ${ratios((f) => f.workerCpuUs)}`);
  console.log(`  Redis CPU / event (all)   ${ratios(redis)}`);
}

// ---------------------------------------------------------------- main

const skip = clusterToolsMissing();
if (skip) {
  console.log(`partitions bench skipped: ${skip}`);
  process.exit(0);
}
if (process.env.BENCH_BUILD !== '0') {
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
}
console.log(
  `\npartitions bench: ${PAIRS} pairs, ${CONNECTIONS} connections for ${SECONDS} s, worker concurrency ` +
    `${CONCURRENCY}, warm-up ${WARMUP} events; Node ${process.version}; ${cpus().length} CPUs, load average ` +
    `${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; a fresh 3-master Redis Cluster (no replicas) per run, on this machine`,
);
const receiver = await startReceiver();
let failed = false;
try {
  const runs: Figures[] = [];
  for (let i = 1; i <= PAIRS; i++) {
    // Alternated, the order swapped every pair.
    for (const v of i % 2 ? VARIANTS : [...VARIANTS].reverse()) {
      const f = await measure(v, receiver);
      printRun(f, i);
      runs.push(f);
      if (Object.keys(f.missing).length) failed = true;
    }
  }
  printTable(runs);
} finally {
  await stopChild(receiver.child);
}
process.exitCode = failed ? 1 : 0;
