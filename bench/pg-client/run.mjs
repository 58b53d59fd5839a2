// pg (node-postgres) vs postgres (porsager/postgres.js) on hookgate's event-log workload.
//
//   cd bench/pg-client && npm install && node run.mjs
//
// Env: PG_URL (default postgres://postgres@127.0.0.1:5432), EVENTS (50000), ROUNDS (3),
//      BATCH (200), POOL (4), READS (2000 per client and query), VARIANTS (comma list).
// Creates its own database hg_pgbench_<random> and drops it at the end.
// The machine is shared: compare the ratios within one run, not absolute numbers across runs.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import postgres from 'postgres';

const BASE = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const EVENTS = Number(process.env.EVENTS ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCH = Number(process.env.BATCH ?? 200);
const POOL = Number(process.env.POOL ?? 4);
const READS = Number(process.env.READS ?? 2000);
const DB = `hg_pgbench_${randomBytes(4).toString('hex')}`;
const URL_DB = `${BASE}/${DB}`;

// ---------- server CPU (all postgres processes on this host), in µs ----------
const TICK_US = 1e6 / 100; // CLK_TCK is 100 on Linux x86_64
function serverCpuUs() {
  let ticks = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const s = readFileSync(`/proc/${p}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      if (comm !== 'postgres' && !comm.startsWith('postgres:')) continue;
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime stime cutime cstime
    } catch {
      /* process gone */
    }
  }
  return ticks * TICK_US;
}

// ---------- schema ----------
async function setup() {
  const admin = new pg.Client({ connectionString: `${BASE}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  const c = new pg.Client({ connectionString: URL_DB });
  await c.connect();
  const {
    rows: [b],
  } = await c.query(
    `SELECT date_trunc('day', now()) AS lo, date_trunc('day', now()) + interval '1 day' AS hi`,
  );
  const d = b.lo.toISOString().slice(0, 10).replaceAll('-', '');
  await c.query(`
    CREATE TABLE events (id text, received_at timestamptz, source text, event_type text,
      dedupe_key text, status text, record jsonb, body text, PRIMARY KEY (id, received_at))
      PARTITION BY RANGE (received_at);
    CREATE TABLE events_${d} PARTITION OF events FOR VALUES FROM ('${b.lo.toISOString()}') TO ('${b.hi.toISOString()}');
    CREATE INDEX ON events (source, received_at DESC, id DESC);
    CREATE TABLE deliveries (event_id text, received_at timestamptz, delivery_key text, destination text,
      state text, attempts jsonb, PRIMARY KEY (event_id, delivery_key, received_at))
      PARTITION BY RANGE (received_at);
    CREATE TABLE deliveries_${d} PARTITION OF deliveries FOR VALUES FROM ('${b.lo.toISOString()}') TO ('${b.hi.toISOString()}');
  `);
  await c.end();
  return { lo: b.lo.getTime(), hi: b.hi.getTime() };
}

async function dropDb() {
  const admin = new pg.Client({ connectionString: `${BASE}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.end();
}

// ---------- data (built once, identical for every client) ----------
const SOURCES = Array.from({ length: 20 }, (_, i) => `src-${i}`);
function makeEvents(range) {
  const filler = randomBytes(700).toString('base64'); // reused slices keep generation cheap
  const now = Date.now();
  const span = Math.max(1, Math.min(now, range.hi - 1) - range.lo);
  const out = [];
  for (let i = 0; i < EVENTS; i++) {
    const id = `evt_${i.toString(36).padStart(8, '0')}_${randomBytes(4).toString('hex')}`;
    const receivedAt = new Date(range.lo + Math.floor((i / EVENTS) * span)).toISOString();
    const source = SOURCES[i % SOURCES.length];
    const record = {
      id,
      source,
      type: 'invoice.paid',
      receivedAt,
      headers: { 'content-type': 'application/json', 'x-signature': filler.slice(0, 64), 'x-request-id': id },
      meta: { ip: '203.0.113.7', attempt: 1, tags: ['a', 'b', 'c'], note: 'quote " and backslash \\ inside' },
      payloadDigest: filler.slice(64, 128),
      extra: filler.slice(0, 1500 + (i % 100)),
    }; // ~2 KB as JSON
    out.push({
      id,
      receivedAt,
      source,
      eventType: 'invoice.paid',
      dedupeKey: `${source}:${id}`,
      status: 'received',
      record,
      body: `{"event":"invoice.paid","data":"${filler.slice(0, 1450)}"}`, // ~1.5 KB
      deliveries: [
        { key: 'dst-a', destination: 'https://a.example/hook', state: 'pending', attempts: [] },
        { key: 'dst-b', destination: 'https://b.example/hook', state: 'pending', attempts: [] },
      ],
    });
  }
  return out;
}

// ---------- SQL ----------
const EV_UNNEST = `INSERT INTO events (id, received_at, source, event_type, dedupe_key, status, record, body)
  SELECT id, received_at, source, event_type, dedupe_key, status, record::jsonb, body
  FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
    AS t(id, received_at, source, event_type, dedupe_key, status, record, body)
  ON CONFLICT (id, received_at) DO UPDATE SET status = excluded.status, record = excluded.record, body = excluded.body`;
const DL_UNNEST = `INSERT INTO deliveries (event_id, received_at, delivery_key, destination, state, attempts)
  SELECT event_id, received_at, delivery_key, destination, state, attempts::jsonb
  FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
    AS t(event_id, received_at, delivery_key, destination, state, attempts)
  ON CONFLICT (event_id, delivery_key, received_at) DO UPDATE SET state = excluded.state, attempts = excluded.attempts`;
const EV_CONFLICT = `ON CONFLICT (id, received_at) DO UPDATE SET status = excluded.status, record = excluded.record, body = excluded.body`;
const DL_CONFLICT = `ON CONFLICT (event_id, delivery_key, received_at) DO UPDATE SET state = excluded.state, attempts = excluded.attempts`;

function unnestParams(batch) {
  const e = [[], [], [], [], [], [], [], []];
  const d = [[], [], [], [], [], []];
  for (const ev of batch) {
    e[0].push(ev.id);
    e[1].push(ev.receivedAt);
    e[2].push(ev.source);
    e[3].push(ev.eventType);
    e[4].push(ev.dedupeKey);
    e[5].push(ev.status);
    e[6].push(JSON.stringify(ev.record));
    e[7].push(ev.body);
    for (const dl of ev.deliveries) {
      d[0].push(ev.id);
      d[1].push(ev.receivedAt);
      d[2].push(dl.key);
      d[3].push(dl.destination);
      d[4].push(dl.state);
      d[5].push(JSON.stringify(dl.attempts));
    }
  }
  return { e, d };
}

function valuesSql(table, cols, nrows, conflict, casts = {}) {
  const parts = [];
  let n = 1;
  for (let r = 0; r < nrows; r++) {
    const p = cols.map((c) => `$${n++}${casts[c] ?? ''}`);
    parts.push(`(${p.join(',')})`);
  }
  return `INSERT INTO ${table} (${cols.join(',')}) VALUES ${parts.join(',')} ${conflict}`;
}
const EV_COLS = ['id', 'received_at', 'source', 'event_type', 'dedupe_key', 'status', 'record', 'body'];
const DL_COLS = ['event_id', 'received_at', 'delivery_key', 'destination', 'state', 'attempts'];
const valuesCache = new Map();
function valuesText(table, cols, nrows, conflict) {
  const k = `${table}:${nrows}`;
  if (!valuesCache.has(k)) valuesCache.set(k, valuesSql(table, cols, nrows, conflict));
  return valuesCache.get(k);
}

// ---------- writer variants: each returns { write(batch), read api, close() } ----------
function pgVariant({ named, values, pipeline }) {
  // pipeline: pg >= 8.21 client option; queries issued without awaiting go out back to back
  const pool = new pg.Pool({ connectionString: URL_DB, max: POOL, pipeline: Boolean(pipeline) });
  pool.on('error', () => {}); // idle client errors (e.g. the final DROP ... WITH (FORCE))
  return {
    pool,
    async write(batch) {
      const c = await pool.connect();
      if (pipeline) {
        const { e, d } = unnestParams(batch);
        const qs = [
          c.query('BEGIN'),
          c.query({ name: 'ev_unnest', text: EV_UNNEST, values: e }),
          c.query({ name: 'dl_unnest', text: DL_UNNEST, values: d }),
          c.query('COMMIT'),
        ];
        const rs = await Promise.allSettled(qs);
        c.release();
        const bad = rs.find((r) => r.status === 'rejected');
        if (bad) throw bad.reason; // an error aborts the tx, so the COMMIT rolls back
        return;
      }
      try {
        await c.query('BEGIN');
        if (values) {
          const ep = [];
          const dp = [];
          for (const ev of batch) {
            ep.push(
              ev.id,
              ev.receivedAt,
              ev.source,
              ev.eventType,
              ev.dedupeKey,
              ev.status,
              JSON.stringify(ev.record),
              ev.body,
            );
            for (const dl of ev.deliveries)
              dp.push(ev.id, ev.receivedAt, dl.key, dl.destination, dl.state, JSON.stringify(dl.attempts));
          }
          await c.query(valuesText('events', EV_COLS, batch.length, EV_CONFLICT), ep);
          await c.query(valuesText('deliveries', DL_COLS, dp.length / DL_COLS.length, DL_CONFLICT), dp);
        } else {
          const { e, d } = unnestParams(batch);
          await c.query(
            named ? { name: 'ev_unnest', text: EV_UNNEST, values: e } : { text: EV_UNNEST, values: e },
          );
          await c.query(
            named ? { name: 'dl_unnest', text: DL_UNNEST, values: d } : { text: DL_UNNEST, values: d },
          );
        }
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    async page(source, at, id, prepared) {
      const text = `SELECT id, source, event_type, dedupe_key, received_at, status FROM events
        WHERE source = $1 AND (received_at, id) < ($2, $3) ORDER BY received_at DESC, id DESC LIMIT 51`;
      return (
        await pool.query(
          prepared ? { name: 'page', text, values: [source, at, id] } : { text, values: [source, at, id] },
        )
      ).rows;
    },
    async byId(id, prepared) {
      const text = `SELECT * FROM events WHERE id = $1`;
      return (await pool.query(prepared ? { name: 'byid', text, values: [id] } : { text, values: [id] }))
        .rows;
    },
    close: () => pool.end(),
  };
}

function pjsVariant({ prepare, pipeline, helper }) {
  const sql = postgres(URL_DB, { max: POOL, prepare, onnotice: () => {} });
  return {
    sql,
    async write(batch) {
      if (helper) {
        const evRows = batch.map((ev) => ({
          id: ev.id,
          received_at: ev.receivedAt,
          source: ev.source,
          event_type: ev.eventType,
          dedupe_key: ev.dedupeKey,
          status: ev.status,
          record: ev.record, // jsonb column: postgres.js JSON.stringify()s it itself
          body: ev.body,
        }));
        const dlRows = [];
        for (const ev of batch)
          for (const dl of ev.deliveries)
            dlRows.push({
              event_id: ev.id,
              received_at: ev.receivedAt,
              delivery_key: dl.key,
              destination: dl.destination,
              state: dl.state,
              attempts: dl.attempts,
            });
        await sql.begin((tx) => [
          tx`INSERT INTO events ${tx(evRows, EV_COLS)} ${tx.unsafe(EV_CONFLICT)}`,
          tx`INSERT INTO deliveries ${tx(dlRows, DL_COLS)} ${tx.unsafe(DL_CONFLICT)}`,
        ]);
        return;
      }
      const { e, d } = unnestParams(batch);
      if (pipeline) {
        await sql.begin((tx) => [tx.unsafe(EV_UNNEST, e, { prepare }), tx.unsafe(DL_UNNEST, d, { prepare })]);
      } else {
        await sql.begin(async (tx) => {
          await tx.unsafe(EV_UNNEST, e, { prepare });
          await tx.unsafe(DL_UNNEST, d, { prepare });
        });
      }
    },
    async page(source, at, id, prepared) {
      return sql.unsafe(
        `SELECT id, source, event_type, dedupe_key, received_at, status FROM events
        WHERE source = $1 AND (received_at, id) < ($2, $3) ORDER BY received_at DESC, id DESC LIMIT 51`,
        [source, at, id],
        { prepare: prepared },
      );
    },
    async byId(id, prepared) {
      return sql.unsafe(`SELECT * FROM events WHERE id = $1`, [id], { prepare: prepared });
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

const VARIANTS = {
  'pg unnest': () => pgVariant({}),
  'pg unnest named(prepared)': () => pgVariant({ named: true }),
  'pg unnest named+pipeline': () => pgVariant({ named: true, pipeline: true }),
  'pg multi-VALUES': () => pgVariant({ values: true }),
  'pjs unnest prepare:false': () => pjsVariant({ prepare: false }),
  'pjs unnest prepare:true': () => pjsVariant({ prepare: true }),
  'pjs unnest prepared+pipelined': () => pjsVariant({ prepare: true, pipeline: true }),
  'pjs sql(rows) helper (prep, pipelined)': () => pjsVariant({ prepare: true, helper: true }),
};
const chosen = process.env.VARIANTS ? process.env.VARIANTS.split(',') : Object.keys(VARIANTS);

async function truncate() {
  const c = new pg.Client({ connectionString: URL_DB });
  await c.connect();
  await c.query('TRUNCATE events, deliveries');
  await c.query('VACUUM ANALYZE events, deliveries');
  await c.query('CHECKPOINT');
  await c.end();
}

async function verify(n) {
  const c = new pg.Client({ connectionString: URL_DB });
  await c.connect();
  const { rows } = await c.query(`SELECT (SELECT count(*) FROM events)::int AS ev,
    (SELECT count(*) FROM deliveries)::int AS dl,
    (SELECT count(*) FROM events WHERE jsonb_typeof(record) <> 'object' OR record->'meta'->>'note' <> 'quote " and backslash \\ inside')::int AS badrec,
    (SELECT count(*) FROM deliveries WHERE jsonb_typeof(attempts) <> 'array')::int AS badatt`);
  await c.end();
  const r = rows[0];
  if (r.ev !== n || r.dl !== 2 * n || r.badrec || r.badatt)
    throw new Error(`verify failed: ${JSON.stringify(r)}`);
}

async function writeRound(name, events) {
  await truncate();
  const v = VARIANTS[name]();
  // warm: connections open (not timed), then truncate again is unnecessary: warm-up writes nothing
  if (v.pool) await Promise.all(Array.from({ length: POOL }, () => v.pool.query('SELECT 1')));
  else await Promise.all(Array.from({ length: POOL }, () => v.sql`SELECT 1`));
  const batches = [];
  for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
  let next = 0;
  const s0 = serverCpuUs();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: POOL }, async () => {
      while (next < batches.length) await v.write(batches[next++]);
    }),
  );
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  const srv = serverCpuUs() - s0;
  await v.close();
  await verify(events.length);
  return { wallMs, cpuUs: cpu.user + cpu.system, srvUs: srv };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function readRound(name, events, prepared, n) {
  const v = VARIANTS[name]();
  const page = [];
  const byId = [];
  let pageRows = 0;
  const c0 = process.cpuUsage();
  try {
    for (let i = 0; i < n; i++) {
      const ev = events[(i * 7919) % events.length];
      let t = process.hrtime.bigint();
      const rows = await v.page(ev.source, ev.receivedAt, ev.id, prepared);
      page.push(Number(process.hrtime.bigint() - t) / 1e3);
      if (rows.length > 51 || (rows.length && !(rows[0].received_at instanceof Date)))
        throw new Error('bad page');
      if (rows.length) pageRows++;
      t = process.hrtime.bigint();
      const r = await v.byId(events[(i * 104729) % events.length].id, prepared);
      byId.push(Number(process.hrtime.bigint() - t) / 1e3);
      if (r.length !== 1) throw new Error('bad byId');
    }
  } finally {
    await v.close();
  }
  const cpu = process.cpuUsage(c0);
  if (pageRows < n / 2) throw new Error(`too many empty pages: ${pageRows}/${n}`);
  return { page, byId, cpuUs: cpu.user + cpu.system };
}

// ---------- sslmode in a URL (server here has ssl=off, so this shows what each client attempts) ----------
async function sslProbe() {
  const out = [];
  for (const mode of ['disable', 'prefer', 'require']) {
    const url = `${URL_DB}?sslmode=${mode}`;
    let a;
    let b;
    try {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      await c.connect();
      await c.end();
      a = 'connected (plain)';
    } catch (e) {
      a = `error: ${e.message}`;
    }
    const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      const [r] = await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
      b = `connected (ssl=${r.ssl})`;
    } catch (e) {
      b = `error: ${e.message}`;
    }
    await sql.end({ timeout: 1 });
    out.push({ mode, pg: a, postgresjs: b });
  }
  return out;
}

async function errorCodeProbe() {
  const pool = new pg.Pool({ connectionString: URL_DB, max: 1 });
  const sql = postgres(URL_DB, { max: 1, onnotice: () => {} });
  const q = `INSERT INTO events (id, received_at) VALUES ('dup', now()), ('dup', now()) ON CONFLICT (id, received_at) DO UPDATE SET status = 'x'`;
  const res = {};
  try {
    await pool.query(q);
  } catch (e) {
    res.pg = { code: e.code, cls: e.constructor.name, constraint: e.constraint };
  }
  try {
    await sql.unsafe(q);
  } catch (e) {
    res.postgresjs = { code: e.code, cls: e.constructor.name, constraint: e.constraint_name };
  }
  await pool.end();
  await sql.end();
  return res;
}

async function main() {
  const range = await setup();
  try {
    const events = makeEvents(range);
    console.log(
      `db ${DB}; ${EVENTS} events x ${ROUNDS} rounds, batch ${BATCH}, pool ${POOL}; pg ${pgVersion()} postgres ${pjsVersion()}`,
    );
    const res = Object.fromEntries(chosen.map((n) => [n, []]));
    // warm-up (JIT, statement caches of the server): every variant once on 10% of the events, not counted
    for (const name of chosen) await writeRound(name, events.slice(0, Math.ceil(events.length / 10)));
    for (let r = 0; r < ROUNDS; r++) {
      // rotate the order each round so no variant always runs first/last
      const order = chosen.map((_, i) => chosen[(i + r) % chosen.length]);
      for (const name of order) {
        const x = await writeRound(name, events);
        res[name].push(x);
        console.log(
          `round ${r + 1} ${name}: ${((EVENTS / x.wallMs) * 1000).toFixed(0)} ev/s, ${(x.cpuUs / EVENTS).toFixed(1)} client µs/ev, ${(x.srvUs / EVENTS).toFixed(1)} server µs/ev`,
        );
      }
    }
    const base = res['pg unnest'] ? summarize(res['pg unnest']) : null;
    console.log('\nWRITES (median of rounds; ratio vs "pg unnest")');
    console.log('variant | events/s | client CPU µs/event | server CPU µs/event');
    for (const name of chosen) {
      const s = summarize(res[name]);
      const rr = (a, b) => (b ? ` (${(a / b).toFixed(2)}x)` : '');
      console.log(
        `${name} | ${s.evs.toFixed(0)}${rr(s.evs, base?.evs)} | ${s.cpu.toFixed(1)}${rr(s.cpu, base?.cpu)} | ${s.srv.toFixed(1)}${rr(s.srv, base?.srv)}`,
      );
    }

    // reads on the data left by the last write round (all 50k events present)
    await (async () => {
      const c = new pg.Client({ connectionString: URL_DB });
      await c.connect();
      await c.query('VACUUM ANALYZE events');
      await c.end();
    })();
    console.log(
      '\nREADS (sequential, one in flight; p50/p99 µs over',
      READS,
      'queries per client; A/B alternated in halves)',
    );
    const readers = [
      ['pg', 'pg unnest'],
      ['postgres.js', 'pjs unnest prepare:true'],
    ];
    for (const prepared of [false, true]) {
      const acc = Object.fromEntries(readers.map(([k]) => [k, { page: [], byId: [], cpu: 0 }]));
      for (let half = 0; half < 2; half++)
        for (const [k, v] of half ? [...readers].reverse() : readers) {
          const x = await readRound(v, events, prepared, READS / 2);
          acc[k].page.push(...x.page);
          acc[k].byId.push(...x.byId);
          acc[k].cpu += x.cpuUs;
        }
      for (const [k] of readers) {
        const a = acc[k];
        console.log(
          `${k} ${prepared ? 'prepared' : 'unprepared'}: page p50 ${pct(a.page, 50).toFixed(0)} p99 ${pct(a.page, 99).toFixed(0)} | byId p50 ${pct(a.byId, 50).toFixed(0)} p99 ${pct(a.byId, 99).toFixed(0)} | client CPU µs per query pair ${(a.cpu / READS).toFixed(0)}`,
        );
      }
    }
    console.log('\nsslmode in URL (local server has ssl=off):');
    for (const r of await sslProbe())
      console.log(`  ${r.mode}: pg -> ${r.pg} | postgres.js -> ${r.postgresjs}`);
    console.log('\nerror on same-batch duplicate upsert:', JSON.stringify(await errorCodeProbe()));
  } finally {
    await dropDb();
    console.log(`dropped ${DB}`);
  }
}

function summarize(xs) {
  const med = (f) => pct(xs.map(f), 50);
  return {
    evs: med((x) => (EVENTS / x.wallMs) * 1000),
    cpu: med((x) => x.cpuUs / EVENTS),
    srv: med((x) => x.srvUs / EVENTS),
  };
}
function pgVersion() {
  return JSON.parse(readFileSync(new URL('./node_modules/pg/package.json', import.meta.url))).version;
}
function pjsVersion() {
  return JSON.parse(readFileSync(new URL('./node_modules/postgres/package.json', import.meta.url))).version;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
