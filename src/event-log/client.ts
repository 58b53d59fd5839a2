import pg from 'pg';
import { EventLogUnavailableError, sqlState, type Queryable, type Sql } from './sql.js';

/**
 * The PostgreSQL client: `pg` (node-postgres), chosen by measurement
 * (bench/pg-client): with the log's one multi-row upsert per batch (then from `unnest`) it
 * spent about 1.5× less CPU per event written than postgres.js at the same rate
 * (PostgreSQL's own ~90 µs per event is the limit either way).
 *
 * TLS comes from the URL's `sslmode`. With `pg`, `require` also verifies the
 * server certificate (as libpq's verify-full); a private CA takes `sslrootcert=`.
 */
export function createSql(url: string, poolSize: number): Sql {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // A query that hangs (a PostgreSQL that stopped answering) fails instead of holding a connection.
    query_timeout: 30_000,
    application_name: 'hookgate',
  });
  // An idle connection the server dropped (restart, failover): the next query dials again.
  pool.on('error', () => {});
  const wrap = (err: unknown): unknown =>
    unavailable(err) ? new EventLogUnavailableError(describe(err), { cause: err }) : err;
  const on = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(text: string, params?: readonly unknown[]) {
      try {
        return (await client.query(text, params as unknown[] | undefined)).rows as T[];
      } catch (err) {
        throw wrap(err);
      }
    },
  });
  return {
    ...on(pool),
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw wrap(err);
      }
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(on(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw wrap(err);
      } finally {
        client.release(broken);
      }
    },
    end: () => pool.end(),
  };
}

/**
 * Network errors (a Node `E…` code), a server shutting down or not accepting
 * connections yet (SQLSTATE 08…, 57P01–03), and pg's own pool and query timeouts or
 * cut connections, which carry no code.
 */
function unavailable(err: unknown): boolean {
  if (err instanceof EventLogUnavailableError) return true;
  const state = sqlState(err);
  if (state) return state.startsWith('08') || /^57P0[123]$/.test(state);
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') return /^E[A-Z]+$/.test(code);
  return /timeout|Connection terminated/i.test(String((err as Error | null)?.message ?? ''));
}

/** Why, without the URL (it may carry the password). */
function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'ECONNREFUSED')
    return `PostgreSQL refused the connection (${e.address ?? ''}:${e.port ?? ''}): is it running? (eventLog.postgres.url)`;
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN')
    return `cannot resolve the PostgreSQL host (eventLog.postgres.url)`;
  const message = String(e?.message ?? err).replace(/postgres(ql)?:\/\/[^\s]*/gi, '<url>');
  return `PostgreSQL is not reachable: ${message}`;
}
