import t, { type Test } from 'tap';
import { createSql } from '../../src/event-log/client.js';
import { createEventLog, type EventLog } from '../../src/event-log/log.js';
import { LATEST_VERSION, MIGRATIONS } from '../../src/event-log/migrations.js';
import { dayOf, DELETE_BATCH, ensureDays } from '../../src/event-log/partitions.js';
import type { LoggedEvent } from '../../src/event-log/types.js';
import { newEventId } from '../../src/record/id.js';
import { sampleRecord } from '../destinations/record.js';
import { dropSchema, PG_URL, pgQuery, uniqueSchema } from '../helpers/postgres.js';
import { collect, spawnCli, writeConfig } from '../cli/run.js';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const DAY = 86_400_000;

function openLog(t: Test, label: string): EventLog {
  const schema = uniqueSchema(label);
  const log = createEventLog(createSql(PG_URL, 4), schema);
  t.teardown(async () => {
    await log.close();
    await dropSchema(schema);
  });
  return log;
}

function event(at: number, over: Partial<LoggedEvent> = {}, body = '{"id":"evt"}'): LoggedEvent {
  const envelope = sampleRecord({ body });
  envelope.id = newEventId(at);
  envelope.timestamp = new Date(at).toISOString();
  return {
    id: envelope.id,
    receivedAt: at,
    source: 'stripe',
    status: 'delivered',
    envelope,
    deliveries: [
      {
        key: 'a',
        destination: 'a',
        state: 'delivered',
        attempts: [{ attempt: 1, startedAt: envelope.timestamp, durationMs: 3, outcome: 'success' }],
      },
    ],
    ...over,
  };
}

t.test('two processes migrating at once apply each step once', async (t) => {
  const schema = uniqueSchema('migrate');
  t.teardown(() => dropSchema(schema));
  const cfg = writeConfig({
    redis: { url: REDIS_URL, prefix: uniquePrefix('migrate') },
    eventLog: { postgres: { url: PG_URL, schema } },
  });
  t.teardown(cfg.cleanup);
  const runs = await Promise.all(
    [0, 1, 2].map(() => collect(spawnCli(['migrate', '--json', '--config', cfg.file]))),
  );
  for (const r of runs) t.equal(r.code, 0, r.stderr);
  const applied = runs.map(
    (r) => (JSON.parse(r.stdout) as { eventLog: { applied: number[] } }).eventLog.applied,
  );
  t.same(
    applied.flat().sort(),
    MIGRATIONS.map((m) => m.version),
    `each version applied by exactly one process: ${JSON.stringify(applied)}`,
  );
  const rows = await pgQuery<{ version: number }>(
    `SELECT version FROM "${schema}".migrations ORDER BY version`,
  );
  t.same(
    rows.map((r) => r.version),
    MIGRATIONS.map((m) => m.version),
  );
  const again = await collect(spawnCli(['migrate', '--config', cfg.file]));
  t.equal(again.code, 0);
  t.match(again.stdout, `event log schema "${schema}": up to date (version ${LATEST_VERSION})`);
  // A database migrated by a newer hookgate is refused, not half-used.
  await pgQuery(`INSERT INTO "${schema}".migrations (version, name) VALUES (999, 'from the future')`);
  const newer = await collect(spawnCli(['migrate', '--config', cfg.file]));
  t.equal(newer.code, 1);
  t.match(newer.stderr, /version 999, newer than this hookgate knows/);
});

t.test('writes are idempotent and never take a final state back', async (t) => {
  const log = openLog(t, 'idem');
  const now = Date.now();
  const pending = event(now, {
    status: 'pending',
    deliveries: [
      {
        key: 'a',
        destination: 'a',
        state: 'pending',
        attempts: [
          {
            attempt: 1,
            startedAt: new Date(now).toISOString(),
            durationMs: 1,
            outcome: 'retry',
            error: 'HTTP 503',
          },
        ],
      },
    ],
  });
  const done: LoggedEvent = {
    ...pending,
    status: 'delivered',
    deliveries: [
      {
        key: 'a',
        destination: 'a',
        state: 'delivered',
        attempts: [
          ...pending.deliveries[0]!.attempts,
          { attempt: 2, startedAt: new Date(now + 5).toISOString(), durationMs: 2, outcome: 'success' },
        ],
      },
    ],
  };
  await log.write([pending]);
  await log.write([done]);
  await log.write([done]); // at-least-once: the same state again
  await log.write([pending]); // a late write of the earlier state
  const got = await log.get(pending.id);
  t.equal(got?.status, 'delivered');
  t.same(
    got?.deliveries.map((d) => [d.state, d.attempts.length]),
    [['delivered', 2]],
  );
  const counts = await pgQuery<{ e: string; d: string }>(
    `SELECT (SELECT count(*) FROM "${log.schema}".events) AS e, (SELECT count(*) FROM "${log.schema}".deliveries) AS d`,
  );
  t.same(counts[0], { e: '1', d: '1' }, 'no duplicate rows');
  t.same(got?.envelope, pending.envelope, 'the record as written, body included');
});

t.test('pages stay stable while events are inserted', async (t) => {
  const log = openLog(t, 'pages');
  const base = Date.now() - 60_000;
  const first = Array.from({ length: 120 }, (_, i) => event(base + i * 10));
  await log.write(first);
  const seen: string[] = [];
  let after: { receivedAt: number; id: string } | undefined;
  let round = 0;
  for (;;) {
    const rows = await log.list({}, after, 25);
    const page = rows.slice(0, 25);
    seen.push(...page.map((r) => r.id));
    // Newer events arrive between pages (and one as late as the oldest).
    await log.write([event(Date.now() + round), event(base + 5 + round * 10)]);
    round++;
    if (rows.length <= 25) break;
    const last = page[page.length - 1]!;
    after = { receivedAt: last.receivedAt, id: last.id };
  }
  const expected = first.map((e) => e.id).reverse();
  const original = seen.filter((id) => expected.includes(id));
  t.same(original, expected, 'every event that was there once, in order, none skipped');
  t.equal(new Set(seen).size, seen.length, 'no event twice');
});

t.test('filters: source, type, status, since, until, q', async (t) => {
  const log = openLog(t, 'filters');
  const now = Date.now();
  const events = [
    event(
      now - 5000,
      { source: 'stripe', type: 'invoice.paid', dedupeKey: 'evt_1' },
      '{"note":"Blue whale"}',
    ),
    event(now - 4000, { source: 'github', type: 'push', status: 'failed' }, '{"ref":"main"}'),
    event(now - 3000, { source: 'stripe', type: 'charge.failed', status: 'pending' }, '{"x":"100%_off"}'),
    event(now - 2000, { source: 'shopify', status: 'unrouted' }, '{"note":"blueprint"}'),
  ];
  await log.write(events);
  const ids = async (f: Parameters<EventLog['list']>[0]) =>
    (await log.list(f, undefined, 50)).map((r) => r.id);
  const [e1, e2, e3, e4] = events.map((e) => e.id);
  t.same(await ids({ source: 'stripe' }), [e3, e1]);
  t.same(await ids({ type: 'push' }), [e2]);
  t.same(await ids({ status: 'failed' }), [e2]);
  t.same(await ids({ status: 'unrouted' }), [e4]);
  t.same(await ids({ since: now - 3500 }), [e4, e3]);
  t.same(await ids({ until: now - 3500 }), [e2, e1]);
  t.same(await ids({ since: now - 4500, until: now - 2500 }), [e3, e2]);
  t.same(await ids({ q: 'BLUE' }), [e4, e1], 'text in the body, any case, a word or the start of one');
  t.same(await ids({ q: 'blue wha' }), [e1], 'several words: as a substring');
  t.same(await ids({ q: 'whale blue' }), [], 'not the same words apart or in another order');
  t.same(await ids({ q: 'print' }), [], 'not from the middle of a word (the Redis-only search does that)');
  t.same(await ids({ q: 'evt_1' }), [e1], 'dedupe key');
  t.same(await ids({ q: e2! }), [e2], 'event id');
  t.same(await ids({ q: '100%_' }), [e3], 'LIKE wildcards match themselves');
  t.same(await ids({ q: '0%_' }), [], 'a % in the term is no wildcard');
  t.same(await ids({ q: '%_' }), [e3], 'a term without words: a substring scan');
  t.same(await ids({ source: 'stripe', q: 'blue' }), [e1], 'filters combine');
  t.equal((await log.getByDedupeKey('evt_1'))?.id, e1);
});

/** A schema at `version`, as an earlier hookgate left it (its migrations applied by hand). */
async function schemaAt(t: Test, label: string, version: number) {
  const schema = uniqueSchema(label);
  const sql = createSql(PG_URL, 2);
  t.teardown(async () => {
    await sql.end();
    await dropSchema(schema);
  });
  await sql.transaction(async (tx) => {
    await tx.query(`CREATE SCHEMA "${schema}"`);
    for (const m of MIGRATIONS.slice(0, version)) await m.up(tx, schema);
    await tx.query(
      `CREATE TABLE "${schema}".migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const m of MIGRATIONS.slice(0, version))
      await tx.query(`INSERT INTO "${schema}".migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
  });
  return { schema, sql };
}

t.test('migration 2 sets lz4 on the days a version 1 schema has, and on the days made after', async (t) => {
  // A schema at version 1 with one day already made, as an earlier hookgate left it.
  const { schema, sql } = await schemaAt(t, 'lz4', 1);
  const old = Date.UTC(2026, 0, 5, 12);
  await ensureDays(sql, schema, [dayOf(old)]);
  const log = createEventLog(sql, schema);
  t.same((await log.migrate()).applied, [2, 3]);
  const written = [event(old, {}, '{"id":"evt_old"}'), event(Date.now(), {}, '{"id":"evt_new"}')];
  await log.write(written);
  const cols = await pgQuery<{ rel: string; c: string }>(
    `SELECT c.relname AS rel, string_agg(a.attcompression::text, '' ORDER BY a.attname) AS c
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname LIKE 'events%' AND c.relkind IN ('r', 'p') AND a.attname IN ('record', 'body')
      GROUP BY 1 ORDER BY 1`,
    [schema],
  );
  t.equal(cols.length, 3, 'the parent and two days');
  for (const r of cols) t.equal(r.c, 'll', `${r.rel}: record and body lz4`);
  for (const e of written)
    t.same((await log.get(e.id))?.envelope, e.envelope, 'the record and body read back as written');
});

t.test('migration 3: the writer splits the words; rows from before are still found', async (t) => {
  // A schema at version 2 holding rows whose words PostgreSQL's parser generated.
  const { schema, sql } = await schemaAt(t, 'words', 2);
  const now = Date.now();
  await ensureDays(sql, schema, [dayOf(now - 2 * DAY)]);
  const oldBody = '{"email":"jane.doe@example.com","note":"a blue-whale shirt"}';
  const old = event(now - 2 * DAY, {}, oldBody);
  await sql.query(
    `INSERT INTO "${schema}".events (id, received_at, source, status, record, body) VALUES ($1, $2, 'stripe', 'delivered', $3, $4)`,
    [old.id, new Date(old.receivedAt).toISOString(), JSON.stringify(old.envelope), oldBody],
  );
  const [{ w: parsed } = { w: '' }] = await sql.query<{ w: string }>(
    `SELECT body_words::text AS w FROM "${schema}".events`,
  );
  t.match(parsed, "'jane.doe@example.com'", "the parser's words: the whole address is one");

  const log = createEventLog(sql, schema);
  t.same((await log.migrate()).applied, [3]);
  const longRun = 'Q'.repeat(300);
  const fresh = event(
    now,
    {},
    `{"email":"jane.doe@example.com","note":"a blue-whale shirt","sig":"${longRun}"}`,
  );
  await log.write([fresh]);
  const rows = await sql.query<{ id: string; w: string }>(
    `SELECT id, body_words::text AS w FROM "${schema}".events ORDER BY received_at`,
  );
  t.equal(rows[0]!.w, parsed, 'the old row keeps its words');
  t.same(
    rows[1]!.w.split(' ').sort(),
    [
      "'a'",
      "'blue'",
      "'com'",
      "'doe'",
      "'email'",
      "'example'",
      "'jane'",
      "'note'",
      "'shirt'",
      "'sig'",
      "'whale'",
    ],
    'a new row: runs of letters and digits, lower-cased, distinct; a 300-character run is no word',
  );
  const ids = async (q: string) => (await log.list({ q }, undefined, 10)).map((r) => r.id);
  t.same(await ids('jane.doe@example.com'), [fresh.id, old.id], 'an address: both rows');
  t.same(await ids('Blue-Whale'), [fresh.id, old.id], 'a hyphenated word: both rows');
  t.same(
    await ids('doe@exam'),
    [fresh.id],
    'part of an address: the new row (the old one has it as one word)',
  );
  t.same(await ids(longRun.toLowerCase()), [fresh.id], 'a run too long to be a word: by substring');
  t.same(await ids('shirt whale'), [], 'not the same words in another order');
  // A new day made after migration 3 takes the plain column too.
  const later = event(now + DAY, {}, '{"note":"orca"}');
  await log.write([later]);
  t.same(await ids('orca'), [later.id]);
});

t.test('U+0000 in a body or a name: logged, the body exactly as received', async (t) => {
  const log = openLog(t, 'nul');
  const now = Date.now();
  const e = event(now, { dedupeKey: 'evt_\u0000x', type: 'a\u0000b' }, 'form=a\u0000b&word=findme');
  e.deliveries[0]!.attempts[0]!.error = 'bad\u0000byte';
  await log.write([e]);
  const got = await log.get(e.id);
  t.equal(
    got?.envelope.requestPayload.body,
    'form=a\u0000b&word=findme',
    'kept inside the record, byte for byte',
  );
  t.equal(got?.dedupeKey, 'evt_\ufffdx');
  t.equal(got?.deliveries[0]?.attempts[0]?.error, 'bad\ufffdbyte');
  t.same(
    (await log.list({ q: 'a\u0000b' }, undefined, 10)).map((r) => r.id),
    [],
    'a search with U+0000 is answered, not refused',
  );
});

t.test('a lone surrogate in a body or a name: logged (as U+FFFD), not refused', async (t) => {
  const log = openLog(t, 'surrogate');
  const e = event(Date.now(), { dedupeKey: 'evt_\ud800x', type: 'a\udc00b' }, 'word=\ud83dfindme');
  e.deliveries[0]!.attempts[0]!.error = 'bad\udfffpair';
  await log.write([e]);
  const got = await log.get(e.id);
  t.equal(got?.envelope.requestPayload.body, 'word=\ufffdfindme');
  t.equal(got?.dedupeKey, 'evt_\ufffdx');
  t.equal(got?.type, 'a\ufffdb');
  t.equal(got?.deliveries[0]?.attempts[0]?.error, 'bad\ufffdpair');
  t.same(
    (await log.list({ q: 'findme' }, undefined, 10)).map((r) => r.id),
    [e.id],
    'its words are searchable',
  );
});

t.test('retention drops whole days, and keeps dead letters longer when asked', async (t) => {
  const log = openLog(t, 'expire');
  const now = Date.UTC(2026, 11, 20, 12);
  const old = [
    event(now - 10 * DAY),
    event(now - 10 * DAY + 1000, { status: 'failed' }),
    event(now - 5 * DAY),
    event(now - 5 * DAY + 1000, { status: 'failed' }),
  ];
  const fresh = event(now - 1000);
  await log.write([...old, fresh]);
  // events 3d, dead letters 7d: the day 10 days ago goes whole; 5 days ago only its failed one stays.
  const out = await log.expire({ events: 3 * DAY, deadLetters: 7 * DAY }, now);
  t.same(out.dropped.sort(), ['deliveries_20261210', 'events_20261210']);
  t.equal(out.deleted, 1);
  const left = (await pgQuery<{ id: string }>(`SELECT id FROM "${log.schema}".events ORDER BY id`)).map(
    (r) => r.id,
  );
  t.same(left, [old[3]!.id, fresh.id].sort());
  const deliveries = await pgQuery<{ event_id: string }>(`SELECT event_id FROM "${log.schema}".deliveries`);
  t.same(deliveries.map((d) => d.event_id).sort(), left, 'deliveries go with their events');
  t.same(await log.expire({ events: 3 * DAY, deadLetters: 7 * DAY }, now), { dropped: [], deleted: 0 });
});

t.test('row-by-row expiry runs in bounded batches', async (t) => {
  const log = openLog(t, 'batches');
  const now = Date.now();
  const n = DELETE_BATCH + 700;
  const at = now - 2 * DAY;
  await log.write(Array.from({ length: n }, (_, i) => event(at + (i % 1000))));
  const out = await log.expire({ events: DAY, deadLetters: 30 * DAY }, now);
  t.equal(out.deleted, n);
  const left = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM "${log.schema}".events`);
  t.equal(left[0]!.n, '0');
});
