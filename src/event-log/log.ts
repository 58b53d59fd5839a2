import type { Envelope } from '../record/envelope.js';
import { migrate, type MigrateResult } from './migrations.js';
import { dayOf, ensureDays, expire, type ExpireResult } from './partitions.js';
import { ident, type Sql } from './sql.js';
import { bodyWords, termQuery, tsquery } from './words.js';
import type {
  EventStatus,
  LogFilter,
  LoggedAnswer,
  LoggedDelivery,
  LoggedEvent,
  LoggedSummary,
  LogPosition,
} from './types.js';

/**
 * The event log in PostgreSQL: the history of every accepted event, its
 * deliveries and their attempts, for `retention.events`. Workers write it in
 * batches (worker/log-writer.ts) from what Redis holds; `events`, `dlq`, the admin
 * API and the console read it. Writes are upserts keyed by event id and delivery
 * key, so writing the same state twice (at-least-once) changes nothing, and a
 * state never goes back: a write with fewer attempts than the row has is ignored.
 */
export interface EventLog {
  readonly schema: string;
  /** Applies the missing migrations (advisory lock: safe from many processes at once). */
  migrate(): Promise<MigrateResult>;
  /** Resolves once this process has seen the schema migrated (migrating it if needed). */
  ready(): Promise<void>;
  /** Upserts events and their deliveries, in one transaction. */
  write(events: readonly LoggedEvent[]): Promise<void>;
  get(id: string): Promise<LoggedEvent | undefined>;
  /** The newest event with this dedupe key (provider event id). */
  getByDedupeKey(key: string): Promise<LoggedEvent | undefined>;
  /** Newest first, strictly older than `after`; `limit + 1` rows are read to tell whether more follow. */
  list(filter: LogFilter, after: LogPosition | undefined, limit: number): Promise<LoggedSummary[]>;
  /**
   * The request and the answer of these events (by id and receipt time, as a list
   * gave them): five fields of each record, read in one query, not the records.
   */
  answers(events: readonly LogPosition[]): Promise<Map<string, LoggedAnswer>>;
  /** Drops expired days and deletes expired rows in bounded batches. */
  expire(retention: { events: number; deadLetters: number }, now?: number): Promise<ExpireResult>;
  close(): Promise<void>;
}

interface EventRow {
  id: string;
  received_at: Date;
  source: string;
  event_type: string | null;
  dedupe_key: string | null;
  status: string;
}

interface FullRow extends EventRow {
  record: string | Envelope;
  body: string | null;
}

interface DeliveryRow {
  event_id: string;
  delivery_key: string;
  destination: string;
  state: string;
  attempts: unknown;
  error: string | null;
  replay_of: string | null;
}

const SUMMARY_COLUMNS = 'id, received_at, source, event_type, dedupe_key, status';

export function createEventLog(sql: Sql, schema: string): EventLog {
  const s = ident(schema);
  const days = new Set<number>();
  let readyOnce: Promise<void> | undefined;

  function summaryOf(row: EventRow): LoggedSummary {
    const out: LoggedSummary = {
      id: row.id,
      receivedAt: new Date(row.received_at).getTime(),
      source: row.source,
      status: row.status as EventStatus,
    };
    if (row.event_type !== null) out.type = row.event_type;
    if (row.dedupe_key !== null) out.dedupeKey = row.dedupe_key;
    return out;
  }

  async function full(row: FullRow | undefined): Promise<LoggedEvent | undefined> {
    if (!row) return undefined;
    const envelope = (typeof row.record === 'string' ? JSON.parse(row.record) : row.record) as Envelope;
    if (row.body !== null) envelope.requestPayload.body = row.body;
    const rows = await sql.query<DeliveryRow>(
      `SELECT event_id, delivery_key, destination, state, attempts, error, replay_of
         FROM ${s}.deliveries WHERE event_id = $1 AND received_at = $2 ORDER BY delivery_key`,
      [row.id, row.received_at],
    );
    return { ...summaryOf(row), envelope, deliveries: rows.map(deliveryOf) };
  }

  /**
   * A search term as a tsquery over body_words (words.ts), or undefined when it has no
   * words. Rows logged before migration 3 hold PostgreSQL's split of their body, so the
   * term is also split that way (ts_debug; each word exact but one that ends the term)
   * and either split matches: those rows are found as before until they expire.
   * Computed first and sent as a constant, so the planner sees how common the words are.
   */
  async function wordQuery(term: string): Promise<string | undefined> {
    const mine = termQuery(term);
    // No words of its own (all too long): a substring scan, which finds old rows too.
    if (!mine) return undefined;
    const rows = await sql.query<{ token: string; lexemes: string[] | null }>(
      `SELECT token, lexemes FROM ts_debug('simple', $1)`,
      [term],
    );
    const end = term.toLowerCase().trimEnd();
    const words = new Map<string, boolean>();
    for (const { token, lexemes } of rows) {
      const word = lexemes?.[0];
      if (!word) continue;
      const prefix = end.endsWith(token.toLowerCase());
      words.set(word, (words.get(word) ?? false) || prefix);
    }
    const theirs = words.size ? tsquery(words) : undefined;
    if (!theirs || mine === theirs) return mine;
    return `(${mine}) | (${theirs})`;
  }

  const log: EventLog = {
    schema,
    migrate: () => migrate(sql, schema),

    ready() {
      readyOnce ??= log.migrate().then(
        () => undefined,
        (err: unknown) => {
          // Not cached: the next call tries again (PostgreSQL may be starting).
          readyOnce = undefined;
          throw err;
        },
      );
      return readyOnce;
    },

    async write(events) {
      if (!events.length) return;
      await log.ready();
      const needed = [...new Set(events.map((e) => dayOf(e.receivedAt)))].filter((d) => !days.has(d));
      if (needed.length) {
        await ensureDays(sql, schema, needed);
        for (const d of needed) days.add(d);
      }
      // One json parameter per table, built from serialized pieces: PostgreSQL parses
      // one document (json_to_recordset) instead of eight text[] literals, and the
      // client neither escapes each element into an array literal (pg's per-element
      // regex) nor stringifies a value twice. Text values: no U+0000 (text()) and no
      // lone surrogates (as written to the socket before: U+FFFD), or PostgreSQL
      // refuses the \u escape.
      const J = (v: string) => JSON.stringify(wellFormed(text(v)));
      const Jn = (v: string | undefined | null) => (v === undefined || v === null ? 'null' : J(v));
      const evRows: string[] = [];
      const dlRows: string[] = [];
      for (const e of events) {
        const at = `"${new Date(e.receivedAt).toISOString()}"`;
        const id = J(e.id);
        // The body has its own column (text search); the record keeps its key order (json, not jsonb).
        // PostgreSQL text cannot hold U+0000: such a body stays inside the json record
        // (where it is the escape \u0000), exactly as received, and is not searchable.
        const body = e.envelope.requestPayload.body;
        const own = body !== null && !body.includes('\u0000');
        const record = own
          ? JSON.stringify({ ...e.envelope, requestPayload: { ...e.envelope.requestPayload, body: null } })
          : JSON.stringify(e.envelope);
        // As a nested value (parsed once), unless it holds a \u0000, which json_to_recordset
        // refuses there: then as a string (q), cast to json as the array literal was.
        const nested = !record.includes('\\u0000');
        evRows.push(
          `{"i":${id},"a":${at},"s":${J(e.source)},"t":${Jn(e.type)},"k":${Jn(e.dedupeKey)},"u":${J(e.status)},` +
            `${nested ? `"r":${record}` : `"q":${JSON.stringify(record)}`},"b":${own ? JSON.stringify(wellFormed(body)) : 'null'},` +
            `"w":${own ? JSON.stringify(bodyWords(body).join(' ')) : 'null'}}`,
        );
        for (const d of e.deliveries) {
          const attempts = JSON.stringify(d.attempts, (_k, v: unknown) =>
            typeof v === 'string' ? wellFormed(text(v)) : v,
          );
          dlRows.push(
            `{"i":${id},"a":${at},"k":${J(d.key)},"d":${J(d.destination)},"u":${J(d.state)},"p":${attempts},"e":${Jn(d.error)},"r":${Jn(d.replayOf)}}`,
          );
        }
      }
      await sql.transaction(async (tx) => {
        // A final status is not taken back by a late write of an earlier one.
        await tx.query(
          `INSERT INTO ${s}.events AS e (id, received_at, source, event_type, dedupe_key, status, record, body, body_words)
           SELECT i, a, s, t, k, u, coalesce(r, q::json), b, array_to_tsvector(string_to_array(w, ' '))
             FROM json_to_recordset($1::json) AS x(i text, a timestamptz, s text, t text, k text, u text, r json, q text, b text, w text)
           ON CONFLICT (id, received_at) DO UPDATE SET status = EXCLUDED.status, logged_at = now()
             WHERE e.status = 'pending' OR EXCLUDED.status <> 'pending'`,
          [`[${evRows.join(',')}]`],
        );
        if (!dlRows.length) return;
        await tx.query(
          `INSERT INTO ${s}.deliveries AS d (event_id, received_at, delivery_key, destination, state, attempts, error, replay_of)
           SELECT i, a, k, d, u, p, e, r
             FROM json_to_recordset($1::json) AS x(i text, a timestamptz, k text, d text, u text, p jsonb, e text, r text)
           ON CONFLICT (event_id, delivery_key, received_at) DO UPDATE
             SET state = EXCLUDED.state, attempts = EXCLUDED.attempts, error = EXCLUDED.error, updated_at = now()
             WHERE jsonb_array_length(EXCLUDED.attempts) > jsonb_array_length(d.attempts)
                OR (jsonb_array_length(EXCLUDED.attempts) = jsonb_array_length(d.attempts)
                    AND (d.state = 'pending' OR EXCLUDED.state <> 'pending'))`,
          [`[${dlRows.join(',')}]`],
        );
      });
    },

    async get(id) {
      await log.ready();
      const rows = await sql.query<FullRow>(
        `SELECT ${SUMMARY_COLUMNS}, record, body FROM ${s}.events WHERE id = $1 LIMIT 1`,
        [text(id)],
      );
      return full(rows[0]);
    },

    async getByDedupeKey(key) {
      await log.ready();
      const rows = await sql.query<FullRow>(
        `SELECT ${SUMMARY_COLUMNS}, record, body FROM ${s}.events WHERE dedupe_key = $1
          ORDER BY received_at DESC LIMIT 1`,
        [text(key)],
      );
      return full(rows[0]);
    },

    async list(filter, after, limit) {
      await log.ready();
      const where: string[] = [];
      const params: unknown[] = [];
      const p = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (filter.source !== undefined) where.push(`source = ${p(text(filter.source))}`);
      if (filter.type !== undefined) where.push(`event_type = ${p(text(filter.type))}`);
      if (filter.status !== undefined) where.push(`status = ${p(filter.status)}`);
      if (filter.since !== undefined)
        where.push(`received_at >= ${p(new Date(filter.since).toISOString())}::timestamptz`);
      if (filter.until !== undefined)
        where.push(`received_at < ${p(new Date(filter.until).toISOString())}::timestamptz`);
      if (after)
        where.push(
          `(received_at, id) < (${p(new Date(after.receivedAt).toISOString())}::timestamptz, ${p(after.id)})`,
        );
      const base = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const and = where.length ? `${base} AND` : 'WHERE';
      const order = 'ORDER BY received_at DESC, id DESC';
      const n = p(limit + 1);
      if (filter.q === undefined || filter.q === '') {
        const rows = await sql.query<EventRow>(
          `SELECT ${SUMMARY_COLUMNS} FROM ${s}.events ${base} ${order} LIMIT ${n}`,
          params,
        );
        return rows.map(summaryOf);
      }
      // q: the event id, the dedupe key, or text in the body. Each on its own index,
      // merged: an OR of the three would be planned as one scan of all of them. Text
      // is found by its words (words.ts; the last may go on), then
      // checked as a substring, so "blue wha" finds "Blue whale" but not a body that
      // has "blue" and "whale" apart.
      const term = text(filter.q);
      const q = p(term);
      const branches = [
        `(SELECT ${SUMMARY_COLUMNS} FROM ${s}.events ${and} id = ${q})`,
        `(SELECT ${SUMMARY_COLUMNS} FROM ${s}.events ${and} dedupe_key = ${q} ${order} LIMIT ${n})`,
      ];
      const words = await wordQuery(term);
      // strpos, not ILIKE: the same matches (lower() as ILIKE folds case in UTF-8), but
      // the planner does not take a long pattern for one that never matches, so the
      // words' statistics choose between the time index and the word index.
      const found = `strpos(lower(body), ${p(term.toLowerCase())}) > 0`;
      branches.push(
        words
          ? `(SELECT ${SUMMARY_COLUMNS} FROM ${s}.events ${and} body_words @@ ${p(words)}::tsquery AND ${found} ${order} LIMIT ${n})`
          : `(SELECT ${SUMMARY_COLUMNS} FROM ${s}.events ${and} ${found} ${order} LIMIT ${n})`,
      );
      const rows = await sql.query<EventRow>(
        `SELECT * FROM (${branches.join(' UNION ')}) found ${order} LIMIT ${n}`,
        params,
      );
      return rows.map(summaryOf);
    },

    async answers(events) {
      const out = new Map<string, LoggedAnswer>();
      if (!events.length) return out;
      await log.ready();
      const rows = await sql.query<{
        id: string;
        method: string | null;
        path: string | null;
        status: string | null;
        condition: string | null;
        function_error: string | null;
      }>(
        `SELECT e.id,
                e.record->'requestPayload'->'requestContext'->'http'->>'method' AS method,
                e.record->'requestPayload'->>'rawPath' AS path,
                e.record->'responseContext'->>'statusCode' AS status,
                e.record->'requestContext'->>'condition' AS condition,
                e.record->'responseContext'->>'functionError' AS function_error
           FROM unnest($1::text[], $2::timestamptz[]) AS k(id, at)
           JOIN ${s}.events e ON e.id = k.id AND e.received_at = k.at`,
        [events.map((e) => text(e.id)), events.map((e) => new Date(e.receivedAt).toISOString())],
      );
      for (const r of rows) {
        const answer: LoggedAnswer = {
          method: r.method ?? '',
          path: r.path ?? '',
          status: Number(r.status),
          condition: r.condition ?? '',
        };
        if (r.function_error !== null) answer.functionError = r.function_error;
        out.set(r.id, answer);
      }
      return out;
    },

    async expire(retention, now = Date.now()) {
      await log.ready();
      return expire(sql, schema, retention, now);
    },

    close: () => sql.end(),
  };
  return log;
}

function deliveryOf(row: DeliveryRow): LoggedDelivery {
  const attempts: unknown = typeof row.attempts === 'string' ? JSON.parse(row.attempts) : row.attempts;
  const out: LoggedDelivery = {
    key: row.delivery_key,
    destination: row.destination,
    state: row.state as LoggedDelivery['state'],
    attempts: Array.isArray(attempts) ? (attempts as LoggedDelivery['attempts']) : [],
  };
  if (row.error !== null) out.error = row.error;
  if (row.replay_of !== null) out.replayOf = row.replay_of;
  return out;
}

/** Lone surrogates as U+FFFD (what UTF-8 on the wire made of them): a \\u escape of one is refused. */
function wellFormed(value: string): string {
  return (value as string & { toWellFormed(): string }).toWellFormed();
}

/** PostgreSQL text (and jsonb) cannot hold U+0000: it becomes U+FFFD in names, keys and errors. */
function text(value: string): string {
  return value.includes('\u0000') ? value.split('\u0000').join('\ufffd') : value;
}
