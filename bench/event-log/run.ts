/**
 * The event log at 1,000,000 events: how fast the console's and the admin
 * API's first page (`log.list`, limit 50) answers for each filter, what an event costs
 * on disk, and what the writer (`log.write`) costs per event.
 *
 *   npx tsx bench/event-log/run.ts      (or node --import tsx …; `npm run bench -- event-log`)
 *
 * Env: DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres), BENCH_LOG_EVENTS
 * (1000000), BENCH_LOG_DAYS (7), BENCH_LOG_RUNS (50 per filter), BENCH_LOG_WRITES
 * (20000, in batches of BENCH_LOG_BATCH=500; BENCH_LOG_EVENTS=0: only these, on an empty
 * schema, a quick figure for the writer alone; BENCH_LOG_SETUP: SQL statements, `;;`
 * apart, `{s}` the schema, run after the migration in that mode, to measure the writer
 * without an index or with a column changed), BENCH_LOG_KEEP=1 keeps the schema for
 * EXPLAIN afterwards (drop it yourself: DROP SCHEMA hgbench_… CASCADE),
 * BENCH_LOG_EXPLAIN=1 prints EXPLAIN ANALYZE of every filter (not only the slow ones).
 *
 * Everything lives in its own schema `hgbench_<random>`, dropped at the end. The
 * million events are seeded server-side (INSERT … SELECT generate_series, two
 * connections in parallel) in receipt order, with the schema's B-tree indexes in
 * place so they grow as they do in production. The words of each body (body_words,
 * split as log.write splits them, in SQL) are computed as the rows go in; their
 * GIN index, the text index, is then built in bulk (CREATE INDEX per partition,
 * attached by the migration's own CREATE INDEX), which is faster and gives a slightly
 * smaller GIN than one grown by inserts (log.write measures the grown one's cost).
 * The machine is shared: the latencies are for comparing filters within one run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { cpuMs, localTcpPorts } from '../process-cpu.js';
import { createSql } from '../../src/event-log/client.js';
import { createEventLog } from '../../src/event-log/log.js';
import type { Sql } from '../../src/event-log/sql.js';
import type { LogFilter, LoggedEvent } from '../../src/event-log/types.js';
import {
  COMMON_WORD,
  DAY,
  HOUR,
  ident,
  loggedEvent,
  MEDIUM_WORD,
  RARE_WORD,
  seedLog,
  TYPE_COUNT,
} from './seed.js';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EVENTS = Number(process.env.BENCH_LOG_EVENTS ?? 1_000_000);
const DAYS = Number(process.env.BENCH_LOG_DAYS ?? 7);
const RUNS = Number(process.env.BENCH_LOG_RUNS ?? 50);
const WRITES = Number(process.env.BENCH_LOG_WRITES ?? 20_000);
const BATCH = Number(process.env.BENCH_LOG_BATCH ?? 500);
const KEEP = process.env.BENCH_LOG_KEEP === '1';
const EXPLAIN_ALL = process.env.BENCH_LOG_EXPLAIN === '1';
const SCHEMA = `hgbench_${randomBytes(4).toString('hex')}`;
const TARGET_MS = 50;

const S = ident(SCHEMA);

// ---------- measuring ----------

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
};

/** CPU so far (µs) of each postgres process on this host, by pid; empty off Linux. */
function serverCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const st = readFileSync(`/proc/${p}/stat`, 'utf8');
        const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
        if (comm !== 'postgres' && !comm.startsWith('postgres:')) continue;
        out.set(p, cpuMs(Number(p)) * 1000);
      } catch {
        /* gone */
      }
    }
  } catch {
    /* not Linux */
  }
  return out;
}

/** CPU the postgres processes spent since `before` (a process that exited meanwhile is not counted). */
function serverCpuSince(before: Map<string, number>): number {
  let us = 0;
  for (const [pid, now] of serverCpu()) us += now - (before.get(pid) ?? 0);
  return us;
}

/** CPU so far (µs) of a process, or undefined once it has exited. */
function cpuOf(pid: number | 'self'): number | undefined {
  try {
    return cpuMs(pid === 'self' ? process.pid : pid) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * CPU so far (µs) of the backends serving the event log's own pool (application_name
 * 'hookgate', on this process's TCP sockets, matched by pg_stat_activity.client_port):
 * what log.write costs PostgreSQL, whatever else the shared server does meanwhile.
 * Not in it: the WAL writer, checkpointer, autovacuum (serverCpu counts those, and
 * everything else on the host too).
 */
async function logBackendCpu(): Promise<Map<number, number>> {
  const ports = localTcpPorts(['self']);
  const out = new Map<number, number>();
  if (!ports.length) return out;
  const rows = await q<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = 'hookgate' AND client_port = ANY($1::int[])`,
    [ports],
  );
  for (const { pid } of rows) {
    const us = cpuOf(pid);
    if (us !== undefined) out.set(pid, us);
  }
  return out;
}

const clock = () => performance.now();
const log = (msg: string) => console.error(`[event-log bench] ${msg}`);

/** The statement list() sent last, to EXPLAIN it as it ran. */
let lastQuery: { text: string; params?: readonly unknown[] } | undefined;
function recording(sql: Sql): Sql {
  return {
    query(text, params) {
      lastQuery = { text, params };
      return sql.query(text, params);
    },
    transaction: (fn) => sql.transaction(fn),
    end: () => sql.end(),
  };
}

const admin = new pg.Pool({ connectionString: URL, max: 2, application_name: 'hookgate-bench' });
const sql = createSql(URL, 4);
const eventLog = createEventLog(recording(sql), SCHEMA);
const out: string[] = [];

async function q<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> {
  return (await admin.query(text, params)).rows as T[];
}

async function seed(now: number): Promise<void> {
  out.push(await seedLog({ admin, sql, eventLog, schema: SCHEMA, events: EVENTS, days: DAYS, now, log }));
}

async function measureWriter(now: number): Promise<void> {
  // Events received just now, as the log writer sees them; built before the clock starts.
  const batches: LoggedEvent[][] = [];
  for (let i = 0; i < WRITES; i += BATCH)
    batches.push(
      Array.from({ length: Math.min(BATCH, WRITES - i) }, (_, k) =>
        loggedEvent(now - HOUR + ((i + k) * HOUR) / WRITES),
      ),
    );
  await eventLog.write([loggedEvent(now - 2 * HOUR)]); // partitions, migration check, connections
  const bytes =
    batches.flat().reduce((n, e) => n + Buffer.byteLength(e.envelope.requestPayload.body ?? ''), 0) / WRITES;
  const cpu0 = process.cpuUsage();
  const own0 = await logBackendCpu();
  const srv0 = serverCpu();
  const t0 = clock();
  for (const b of batches) await eventLog.write(b);
  const ms = clock() - t0;
  const cpu = process.cpuUsage(cpu0);
  const srv = serverCpuSince(srv0);
  // A backend the pool opened meanwhile counts from 0.
  let own = 0;
  for (const [pid, us] of await logBackendCpu()) own += us - (own0.get(pid) ?? 0);
  out.push(
    `log.write: ${WRITES.toLocaleString('en')} events (bodies ${bytes.toFixed(0)} B, 2 deliveries) in batches of ${BATCH}, one at a time: ` +
      `${((WRITES / ms) * 1000).toFixed(0)} events/s; client CPU ${((cpu.user + cpu.system) / WRITES) | 0} µs/event, ` +
      `PostgreSQL CPU ${(own / WRITES) | 0} µs/event (the log's own backends; ${(srv / WRITES) | 0} µs with all postgres processes on the host: WAL writer, checkpointer, autovacuum, other sessions)`,
  );
}

interface Case {
  name: string;
  filter: () => LogFilter;
}

async function measureList(now: number): Promise<void> {
  const sample = await q<{ id: string; dedupe_key: string | null }>(
    `SELECT id, dedupe_key FROM ${S}.events TABLESAMPLE SYSTEM (0.5) WHERE dedupe_key IS NOT NULL ORDER BY random() LIMIT 200`,
  );
  const topType = (
    await q<{ t: string }>(
      `SELECT event_type AS t FROM ${S}.events WHERE source = 'stripe' AND event_type IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
    )
  )[0]!.t;
  const rareType = 'customer.subscription.deleted';
  let k = 0;
  const nextOf = <T>(xs: T[]) => xs[k++ % xs.length]!;
  const cases: Case[] = [
    { name: 'no filter', filter: () => ({}) },
    { name: 'source=stripe', filter: () => ({ source: 'stripe' }) },
    { name: 'source=orders-api (5%)', filter: () => ({ source: 'orders-api' }) },
    { name: `type=${topType}`, filter: () => ({ type: topType }) },
    { name: `type=${rareType} (rare)`, filter: () => ({ type: rareType }) },
    { name: 'status=failed', filter: () => ({ status: 'failed' }) },
    { name: 'status=pending', filter: () => ({ status: 'pending' }) },
    { name: 'since 1h ago', filter: () => ({ since: now - HOUR }) },
    { name: 'until 3 days ago', filter: () => ({ until: now - 3 * DAY }) },
    { name: 'since 4d .. until 3d ago', filter: () => ({ since: now - 4 * DAY, until: now - 3 * DAY }) },
    { name: 'q = event id', filter: () => ({ q: nextOf(sample).id }) },
    { name: 'q = dedupe key', filter: () => ({ q: nextOf(sample).dedupe_key! }) },
    { name: `q = rare word (${RARE_WORD})`, filter: () => ({ q: RARE_WORD }) },
    { name: `q = medium word (${MEDIUM_WORD})`, filter: () => ({ q: MEDIUM_WORD }) },
    { name: `q = common word (${COMMON_WORD})`, filter: () => ({ q: COMMON_WORD }) },
    {
      name: `source+type+status (stripe, invoice.payment_failed, failed)`,
      filter: () => ({ source: 'stripe', type: 'invoice.payment_failed', status: 'failed' }),
    },
    { name: 'status=failed + q = common word', filter: () => ({ status: 'failed', q: COMMON_WORD }) },
  ];
  // How many events each word is really in (one scan each).
  const shares: Record<string, number> = {};
  for (const w of [RARE_WORD, MEDIUM_WORD, COMMON_WORD])
    shares[w] = Number(
      (await q<{ n: string }>(`SELECT count(*) AS n FROM ${S}.events WHERE body ILIKE $1`, [`%${w}%`]))[0]!.n,
    );
  out.push(
    `q words, events whose body has them: ${Object.entries(shares)
      .map(([w, n]) => `${w} ${n.toLocaleString('en')} (${((n / EVENTS) * 100).toFixed(2)}%)`)
      .join(', ')}`,
  );
  out.push(
    '',
    `| filter (first page, limit 50) | rows | p50 ms | p95 ms | runs | ≤ ${TARGET_MS} ms |`,
    '|---|---|---|---|---|---|',
  );
  const slow: string[] = [];
  for (const c of cases) {
    await eventLog.list(c.filter(), undefined, 50); // warm: the plan's pages in cache, as a console user paging sees
    const ms: number[] = [];
    let rows = 0;
    const started = clock();
    for (let i = 0; i < RUNS && (i < 5 || clock() - started < 30_000); i++) {
      const t = clock();
      rows = (await eventLog.list(c.filter(), undefined, 50)).length;
      ms.push(clock() - t);
    }
    const p50 = pct(ms, 50);
    out.push(
      `| ${c.name} | ${rows} | ${p50.toFixed(1)} | ${pct(ms, 95).toFixed(1)} | ${ms.length} | ${p50 <= TARGET_MS ? 'yes' : '**no**'} |`,
    );
    log(`${c.name}: p50 ${p50.toFixed(1)} ms`);
    if ((p50 > TARGET_MS || EXPLAIN_ALL) && lastQuery) {
      const plan = await q<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS) ${lastQuery.text}`,
        lastQuery.params as unknown[],
      );
      slow.push(
        `--- ${c.name}\n${lastQuery.text.replace(/\s+/g, ' ')}\n${plan.map((r) => r['QUERY PLAN']).join('\n')}`,
      );
    }
  }
  if (slow.length)
    console.error(`\nEXPLAIN ANALYZE of the filters over ${TARGET_MS} ms:\n${slow.join('\n\n')}\n`);
}

async function measureDisk(): Promise<void> {
  const rows = await q<{ parent: string; heap: string; toast: string; idx: string; words: string }>(
    `SELECT p.relname AS parent,
            sum(pg_relation_size(c.oid, 'main') + pg_relation_size(c.oid, 'fsm') + pg_relation_size(c.oid, 'vm')) AS heap,
            sum(coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)) AS toast,
            sum(pg_indexes_size(c.oid)) AS idx,
            sum((SELECT coalesce(sum(pg_relation_size(i.indexrelid)), 0) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                  JOIN pg_am am ON am.oid = ic.relam WHERE i.indrelid = c.oid AND am.amname = 'gin')) AS words
       FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_class p ON p.oid = h.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relkind = 'p' GROUP BY p.relname ORDER BY p.relname DESC`,
    [SCHEMA],
  );
  const perIdx = await q<{ name: string; bytes: string }>(
    `SELECT pi.relname AS name, sum(pg_relation_size(h.inhrelid)) AS bytes
       FROM pg_inherits h JOIN pg_class pi ON pi.oid = h.inhparent JOIN pg_namespace n ON n.oid = pi.relnamespace
      WHERE n.nspname = $1 AND pi.relkind = 'I' GROUP BY 1 ORDER BY 2 DESC`,
    [SCHEMA],
  );
  const n = Number((await q<{ n: string }>(`SELECT count(*) AS n FROM ${S}.events`))[0]!.n);
  const b = (x: string | number) => (Number(x) / n).toFixed(0);
  out.push('', `bytes per event on disk (${n.toLocaleString('en')} events, ÷ events):`, '');
  out.push(
    '| table | heap | TOAST | B-tree indexes | text index (GIN) | total |',
    '|---|---|---|---|---|---|',
  );
  let total = 0;
  for (const r of rows) {
    const all = Number(r.heap) + Number(r.toast) + Number(r.idx);
    total += all;
    out.push(
      `| ${r.parent} | ${b(r.heap)} | ${b(r.toast)} | ${b(Number(r.idx) - Number(r.words))} | ${b(r.words)} | ${b(all)} |`,
    );
  }
  out.push(`| **all** | | | | | **${b(total)}** (${(total / 1e9).toFixed(2)} GB) |`);
  out.push('', `indexes, bytes per event: ${perIdx.map((r) => `${r.name} ${b(r.bytes)}`).join(', ')}`);
}

const now = Date.now();
log(`schema ${SCHEMA}, ${EVENTS} events, ${TYPE_COUNT} types`);
try {
  if (EVENTS === 0) {
    // The writer alone, on an empty schema (BENCH_LOG_EVENTS=0): a quick figure, no seeding.
    await eventLog.migrate();
    if (process.env.BENCH_LOG_SETUP)
      for (const st of process.env.BENCH_LOG_SETUP.split(';;')) await q(st.replace(/\{s\}/g, S));
    log('writer');
    await measureWriter(now);
  } else {
    await seed(now);
    log('writer');
    await measureWriter(now);
    log('ANALYZE');
    await q(`ANALYZE ${S}.events`);
    await q(`ANALYZE ${S}.deliveries`);
    await measureDisk();
    log('list');
    await measureList(now);
  }
} finally {
  if (KEEP) log(`kept schema ${SCHEMA}: DROP SCHEMA ${SCHEMA} CASCADE when done`);
  else await q(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
  await eventLog.close();
  await admin.end();
}
console.log(`\nevent-log bench (${SCHEMA}, PostgreSQL at ${new globalThis.URL(URL).host})\n`);
console.log(out.join('\n'));
