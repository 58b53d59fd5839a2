import { ident, type Queryable, type Sql } from './sql.js';

/**
 * The event log's schema, as versioned migrations. hookgate applies what is missing
 * at start (workers and serve) and on `hookgate migrate`, all in one transaction
 * under an advisory lock, so many processes starting at once apply each step once
 * and none sees half a schema. Append new steps; never edit an applied one.
 */
export interface Migration {
  version: number;
  name: string;
  up(tx: Queryable, schema: string): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events and deliveries, partitioned by day',
    async up(tx, schema) {
      const s = ident(schema);
      // Daily partitions on the receipt time: expiry drops a whole day (no row-by-row
      // DELETE, no bloat). Every unique key must hold the partition key, hence
      // (id, received_at); an id alone is found through each day's index.
      await tx.query(`
        CREATE TABLE ${s}.events (
          id          text        NOT NULL,
          received_at timestamptz NOT NULL,
          source      text        NOT NULL,
          event_type  text,
          dedupe_key  text,
          status      text        NOT NULL,
          record      json        NOT NULL,
          body        text,
          -- Words of the body for \`q\` (the first 100,000 characters; positions stripped:
          -- a search needs only which words, and they would double the size).
          body_words  tsvector    GENERATED ALWAYS AS (strip(to_tsvector('simple', left(coalesce(body, ''), 100000)))) STORED,
          logged_at   timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (id, received_at)
        ) PARTITION BY RANGE (received_at)`);
      await tx.query(`CREATE INDEX events_time ON ${s}.events (received_at DESC, id DESC)`);
      await tx.query(`CREATE INDEX events_source ON ${s}.events (source, received_at DESC, id DESC)`);
      await tx.query(`CREATE INDEX events_type ON ${s}.events (event_type, received_at DESC, id DESC)`);
      await tx.query(`CREATE INDEX events_status ON ${s}.events (status, received_at DESC, id DESC)`);
      await tx.query(`CREATE INDEX events_dedupe ON ${s}.events (dedupe_key)`);
      // Full text, not trigrams: a 1.5 KB webhook body has ~100 distinct words but
      // ~1,000 trigrams, and the trigram index cost PostgreSQL ~0.8 ms of CPU and
      // 1.6 KB per event written (bench/event-log). The words also get statistics
      // (most common lexemes), so a common word is searched along the time index.
      await tx.query(`CREATE INDEX events_body_words ON ${s}.events USING gin (body_words)`);
      await tx.query(`
        CREATE TABLE ${s}.deliveries (
          event_id     text        NOT NULL,
          received_at  timestamptz NOT NULL,
          delivery_key text        NOT NULL,
          destination  text        NOT NULL,
          state        text        NOT NULL,
          attempts     jsonb       NOT NULL,
          error        text,
          replay_of    text,
          updated_at   timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (event_id, delivery_key, received_at)
        ) PARTITION BY RANGE (received_at)`);
      await tx.query(
        `CREATE INDEX deliveries_failed ON ${s}.deliveries (destination, received_at DESC) WHERE state = 'failed'`,
      );
    },
  },
  {
    version: 2,
    name: 'record and body compressed with lz4',
    async up(tx, schema) {
      // TOAST compresses the record and the body (a row over ~2 KB): lz4 instead of
      // pglz costs PostgreSQL ~15 µs less per event written (bench/event-log, 1.5 KB
      // bodies) and reads faster. The parent's setting is what new daily partitions
      // get; the days that exist already are set one by one (their old rows stay
      // pglz: both read back alike). A server built without lz4 keeps pglz.
      const s = ident(schema);
      const parts = await tx.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace
          WHERE n.nspname = $1 AND p.relname = 'events'`,
        [schema],
      );
      await tx.query('SAVEPOINT lz4');
      try {
        for (const table of [`${s}.events`, ...parts.map((p) => `${s}.${ident(p.name)}`)])
          await tx.query(
            `ALTER TABLE ${table} ALTER COLUMN record SET COMPRESSION lz4, ALTER COLUMN body SET COMPRESSION lz4`,
          );
        await tx.query('RELEASE SAVEPOINT lz4');
      } catch (err) {
        // 0A000 feature_not_supported: "compression method lz4 not supported".
        if ((err as { code?: unknown }).code !== '0A000') throw err;
        await tx.query('ROLLBACK TO SAVEPOINT lz4');
      }
    },
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** One lock id per schema: installs sharing a database migrate independently. */
export function lockKey(schema: string, what: string): string {
  return `hookgate:${schema}:${what}`;
}

export interface MigrateResult {
  /** Versions applied by this call (empty: up to date already). */
  applied: number[];
  version: number;
}

/**
 * Brings the schema to the latest version. Safe to call from any number of
 * processes at once: the first takes the lock and migrates, the others wait for it
 * and then find nothing to do. A database newer than this hookgate is refused.
 */
export async function migrate(sql: Sql, schema: string): Promise<MigrateResult> {
  const s = ident(schema);
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(schema, 'migrate')]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS ${s}.migrations (
        version    integer     PRIMARY KEY,
        name       text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const rows = await tx.query<{ version: number }>(`SELECT version FROM ${s}.migrations`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...done);
    if (newest > LATEST_VERSION) {
      throw new Error(
        `the event log schema "${schema}" is at version ${newest}, newer than this hookgate knows (${LATEST_VERSION}): upgrade hookgate`,
      );
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await m.up(tx, schema);
      await tx.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return { applied, version: LATEST_VERSION };
  });
}
