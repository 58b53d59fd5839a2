import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { cpuMs, localTcpPorts } from '../process-cpu.js';

/**
 * The pipeline bench's view of hookgate's event log: a fresh PostgreSQL
 * schema per run (dropped after it), the Redis log stream's lag, PostgreSQL's CPU and
 * disk per event, and the check that every 2xx'd event is in `<schema>.events`.
 */
export const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** The log stream with the bench config's Redis prefix (default `hookgate`, one partition). */
export const LOG_STREAM = 'hookgate:hg:log';

let pool: pg.Pool | undefined;
function sql(): pg.Pool {
  pool ??= new pg.Pool({ connectionString: PG_URL, max: 1, application_name: 'hookgate-bench' });
  return pool;
}

export async function closePg(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

/** A schema name nobody else uses; hookgate creates it (migrations at start). */
export function benchSchema(): string {
  return `hgbench_${randomBytes(5).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^hgbench_[0-9a-f]+$/.test(schema)) throw new Error(`not a bench schema: ${schema}`);
  await sql().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Fails early, with one clear line, when PostgreSQL is not there. */
export async function checkPg(): Promise<string> {
  const r = await sql().query<{ v: string }>('SELECT version() AS v');
  return r.rows[0]!.v.split(' ').slice(0, 2).join(' ');
}

/** Other sessions busy on this PostgreSQL (not idle, not ours): they would count in its CPU. */
export async function otherActivity(): Promise<number> {
  const r = await sql().query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE state IS NOT NULL AND state <> 'idle' AND pid <> pg_backend_pid()`,
  );
  return Number(r.rows[0]!.n);
}

/**
 * utime + stime of every process named `postgres` (ms). Best effort: a backend that
 * exits between two readings takes its CPU with it (hookgate's pool keeps its
 * connections open through a run), and anything else the server does counts too.
 */
export function pgCpuMs(): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
      total += cpuMs(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/**
 * utime + stime (ms) of each PostgreSQL backend serving these processes (found by
 * the local ports of their TCP sockets in pg_stat_activity.client_port): the CPU
 * hookgate's own connections cost, whatever else the server does meanwhile. Not in
 * it: the WAL writer, checkpointer, autovacuum (pgCpuMs counts those).
 */
export async function backendCpuMs(pids: (number | undefined)[]): Promise<Map<number, number>> {
  const ports = localTcpPorts(pids);
  const out = new Map<number, number>();
  if (!ports.length) return out;
  const r = await sql().query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND pid <> pg_backend_pid()',
    [ports],
  );
  for (const { pid } of r.rows) {
    try {
      out.set(pid, cpuMs(pid));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU (ms) the backends of `after` spent since `before` (a backend new since then counts from 0). */
export function backendDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Age of the oldest entry of the log stream (ms; 0 when it is empty), as `hookgate_event_log_lag_seconds`. */
export async function logLagMs(redis: Redis): Promise<number> {
  const r = (await redis.xrange(LOG_STREAM, '-', '+', 'COUNT', 1)) as [string, string[]][];
  if (!r.length) return 0;
  return Math.max(0, Date.now() - Number(r[0]![0].split('-')[0]));
}

export interface LagSampler {
  /** The largest lag seen so far (ms). */
  max(): number;
  samples(): number;
  stop(): Promise<void>;
}

/** Samples the log lag every `everyMs` until stopped. */
export function sampleLag(redis: Redis, everyMs = 250): LagSampler {
  let max = 0;
  let n = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        max = Math.max(max, await logLagMs(redis));
        n++;
      } catch {
        // a sample lost; the next one counts
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    max: () => max,
    samples: () => n,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Waits until the log stream has no entry (every event state is in PostgreSQL); its time, or undefined. */
export async function waitLogEmpty(redis: Redis, timeoutMs: number): Promise<number | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if ((await redis.xlen(LOG_STREAM)) === 0) return Date.now();
    if (Date.now() > until) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LogCheck {
  /** Rows of <schema>.events (warm-up included). */
  events: number;
  /** 2xx'd events (hookgate's ids) not in <schema>.events. */
  missing: string[];
  /** 2xx'd events in it but not `delivered`, with a dedupe key other than the Stripe id sent, or without `routes` delivered deliveries. */
  wrong: string[];
  /** pg_total_relation_size of every partition of events and deliveries. */
  bytes: number;
}

/**
 * Every 2xx'd event (hookgate id -> the Stripe id sent) must be in <schema>.events,
 * status `delivered`, dedupe key = the Stripe id, with `routes` delivered rows in
 * <schema>.deliveries.
 */
export async function checkLog(schema: string, sent: Map<string, string>, routes: number): Promise<LogCheck> {
  const s = `"${schema}"`;
  const ids = [...sent.keys()];
  const keys = ids.map((id) => sent.get(id)!);
  const rows = await sql().query<{ id: string; found: boolean; ok: boolean }>(
    `SELECT x.id, e.id IS NOT NULL AS found,
            coalesce(e.status = 'delivered' AND e.dedupe_key = x.key
              AND (SELECT count(*) FROM ${s}.deliveries d
                    WHERE d.event_id = e.id AND d.received_at = e.received_at AND d.state = 'delivered') = $3,
              false) AS ok
       FROM unnest($1::text[], $2::text[]) AS x(id, key)
       LEFT JOIN ${s}.events e ON e.id = x.id`,
    [ids, keys, routes],
  );
  const missing = rows.rows.filter((r) => !r.found).map((r) => r.id);
  const wrong = rows.rows.filter((r) => r.found && !r.ok).map((r) => r.id);
  const events = Number(
    (await sql().query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.events`)).rows[0]!.n,
  );
  const size = await sql().query<{ bytes: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname IN ('events', 'deliveries')`,
    [schema],
  );
  return { events, missing, wrong, bytes: Number(size.rows[0]!.bytes) };
}
