import { lockKey } from './migrations.js';
import { ident, type Queryable, type Sql } from './sql.js';

/**
 * Daily partitions of `events` and `deliveries` (UTC days, named `<table>_YYYYMMDD`),
 * made when a batch first needs a day and dropped whole once a day is past the
 * retention: expiry costs a `DROP TABLE`, not a `DELETE` per row.
 */
const DAY = 86_400_000;
const TABLES = ['events', 'deliveries'] as const;
/** Rows one retention statement deletes; a short transaction that never holds locks for long. */
export const DELETE_BATCH = 5000;

/** The UTC day (days since the epoch) of an epoch-ms time. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY);
}

function suffix(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10).replace(/-/g, '');
}

function bound(day: number): string {
  return new Date(day * DAY).toISOString();
}

/** Creates the partitions of these days that do not exist yet (serialised by an advisory lock). */
export async function ensureDays(sql: Sql, schema: string, days: readonly number[]): Promise<void> {
  const s = ident(schema);
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(schema, 'partitions')]);
    for (const day of days) {
      for (const table of TABLES) {
        await tx.query(
          `CREATE TABLE IF NOT EXISTS ${s}.${ident(`${table}_${suffix(day)}`)}
             PARTITION OF ${s}.${table} FOR VALUES FROM ('${bound(day)}') TO ('${bound(day + 1)}')`,
        );
      }
    }
  });
}

export interface ExpireResult {
  /** Partitions dropped (`events_20261101`, …). */
  dropped: string[];
  /** Events deleted row by row (past `retention.events` in a day still kept for its dead letters). */
  deleted: number;
}

/**
 * Events are kept `retention.events`, events with a dead-lettered delivery
 * `max(retention.events, retention.deadLetters)`. A day older than the longer of
 * the two is dropped; where dead letters are kept longer, the other events of the
 * days in between are deleted in batches of DELETE_BATCH. One process at a time
 * (advisory lock); the others skip.
 */
export async function expire(
  sql: Sql,
  schema: string,
  retention: { events: number; deadLetters: number },
  now: number,
): Promise<ExpireResult> {
  const s = ident(schema);
  const keepAll = Math.max(retention.events, retention.deadLetters);
  const result: ExpireResult = { dropped: [], deleted: 0 };
  // Transaction-scoped locks: a pooled connection never keeps one by accident.
  const locked = async (tx: Queryable) =>
    (
      await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [
        lockKey(schema, 'expire'),
      ])
    )[0]?.ok === true;
  const busy = await sql.transaction(async (tx) => {
    if (!(await locked(tx))) return true;
    const parts = await tx.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = ANY($2::text[])`,
      [schema, [...TABLES]],
    );
    // Days before this one end before now - keepAll.
    const firstKept = dayOf(now - keepAll);
    for (const { name } of parts) {
      const m = /_(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!m) continue;
      const day = dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      if (day < firstKept) {
        await tx.query(`DROP TABLE IF EXISTS ${s}.${ident(name)}`);
        result.dropped.push(name);
      }
    }
    return false;
  });
  if (busy || retention.deadLetters <= retention.events) return result;
  const before = new Date(now - retention.events).toISOString();
  for (;;) {
    const n = await sql.transaction(async (tx) => {
      if (!(await locked(tx))) return 0;
      const rows = await tx.query<{ n: string }>(
        `WITH gone AS (
           DELETE FROM ${s}.events WHERE (id, received_at) IN (
             SELECT id, received_at FROM ${s}.events
              WHERE received_at < $1::timestamptz AND status <> 'failed' LIMIT ${DELETE_BATCH})
           RETURNING id, received_at),
         d AS (DELETE FROM ${s}.deliveries x USING gone
                WHERE x.event_id = gone.id AND x.received_at = gone.received_at)
         SELECT count(*) AS n FROM gone`,
        [before],
      );
      return Number(rows[0]?.n ?? 0);
    });
    result.deleted += n;
    if (n < DELETE_BATCH) break;
  }
  return result;
}
