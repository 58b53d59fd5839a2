import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL tests use (`.ci/run` starts one when none answers). Each test takes its own schema. */
export const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A schema name no other test (or run) uses. */
export function uniqueSchema(label: string): string {
  return `hgt_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
}

/** Drops a test's own schema (never a shared one: only `hgt_` names). */
export async function dropSchema(schema: string, url = PG_URL): Promise<void> {
  if (!schema.startsWith('hgt_')) throw new Error(`refusing to drop ${schema}: not a test schema`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** One query on a fresh connection (what a test checks in the database directly). */
export async function pgQuery<T = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
  url = PG_URL,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
