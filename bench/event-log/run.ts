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
 * place so they grow as they do in production. The words of each body (the generated
 * tsvector column body_words) are computed as the rows go in, as in production; their
 * GIN index, the text index, is then built in bulk (CREATE INDEX per partition,
 * attached by the migration's own CREATE INDEX), which is faster and gives a slightly
 * smaller GIN than one grown by inserts (log.write measures the grown one's cost).
 * The machine is shared: the latencies are for comparing filters within one run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { cpuMs, localTcpPorts } from '../process-cpu.js';
import { createSql } from '../../src/event-log/client.js';
import { createEventLog } from '../../src/event-log/log.js';
import { dayOf, ensureDays } from '../../src/event-log/partitions.js';
import type { Sql } from '../../src/event-log/sql.js';
import type { LogFilter, LoggedDelivery, LoggedEvent } from '../../src/event-log/types.js';
import { buildEnvelope } from '../../src/record/build.js';
import type { Envelope } from '../../src/record/envelope.js';
import { newEventId } from '../../src/record/id.js';

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
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---------- a deterministic corpus: sources, types, words ----------

let state = 42;
/** mulberry32: the same corpus every run. */
function rand(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
/** Index in [0, n) with a log-uniform (Zipf-like) skew: 0 is the most frequent. */
const skewed = (n: number, r = rand()) => Math.min(n - 1, Math.floor(Math.exp(r * Math.log(n + 1))) - 1);

interface SourceSpec {
  name: string;
  share: number;
  types: string[];
  verifier: string;
  headers: (sig: string) => string[];
}
const SOURCES: SourceSpec[] = [
  {
    name: 'stripe',
    share: 0.6,
    verifier: 'stripe',
    types: [
      'invoice.paid',
      'charge.succeeded',
      'payment_intent.succeeded',
      'customer.subscription.updated',
      'invoice.created',
      'invoice.finalized',
      'payment_intent.created',
      'customer.updated',
      'checkout.session.completed',
      'invoice.payment_failed',
      'charge.failed',
      'customer.created',
      'charge.refunded',
      'customer.subscription.created',
      'payment_intent.payment_failed',
      'customer.subscription.deleted',
    ],
    headers: (sig) => [
      'Content-Type',
      'application/json; charset=utf-8',
      'User-Agent',
      'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'Stripe-Signature',
      sig,
      'Accept',
      '*/*; q=0.5, application/xml',
      'Cache-Control',
      'no-cache',
    ],
  },
  {
    name: 'github',
    share: 0.15,
    verifier: 'github',
    types: [
      'push',
      'pull_request.synchronize',
      'check_suite.completed',
      'workflow_run.completed',
      'pull_request.opened',
      'issue_comment.created',
      'pull_request.closed',
      'issues.opened',
    ],
    headers: (sig) => [
      'Content-Type',
      'application/json',
      'User-Agent',
      'GitHub-Hookshot/5c0a8e1',
      'X-GitHub-Event',
      'push',
      'X-GitHub-Delivery',
      randomUUID(),
      'X-GitHub-Hook-ID',
      '482913377',
      'X-Hub-Signature-256',
      `sha256=${sig.slice(-64)}`,
      'Accept',
      '*/*',
    ],
  },
  {
    name: 'shopify',
    share: 0.12,
    verifier: 'shopify',
    types: [
      'orders/create',
      'orders/paid',
      'orders/fulfilled',
      'products/update',
      'customers/create',
      'refunds/create',
    ],
    headers: (sig) => [
      'Content-Type',
      'application/json',
      'User-Agent',
      'Shopify-Captain-Hook',
      'X-Shopify-Topic',
      'orders/create',
      'X-Shopify-Hmac-Sha256',
      Buffer.from(sig.slice(-64), 'hex').toString('base64'),
      'X-Shopify-Shop-Domain',
      'acme-store.myshopify.com',
      'X-Shopify-Webhook-Id',
      randomUUID(),
      'X-Shopify-API-Version',
      '2025-01',
    ],
  },
  {
    name: 'slack',
    share: 0.08,
    verifier: 'slack',
    types: ['message', 'app_mention', 'reaction_added'],
    headers: (sig) => [
      'Content-Type',
      'application/json',
      'User-Agent',
      'Slackbot 1.0 (+https://api.slack.com/robots)',
      'X-Slack-Signature',
      `v0=${sig.slice(-64)}`,
      'X-Slack-Request-Timestamp',
      '1795860000',
    ],
  },
  // Proxy mode: no provider, no event type, no dedupe key.
  {
    name: 'orders-api',
    share: 0.05,
    verifier: 'none',
    types: [],
    headers: () => ['Content-Type', 'application/json'],
  },
];
const TYPE_COUNT = SOURCES.reduce((n, s) => n + s.types.length, 0);

const STATUSES = [
  ['delivered', 0.95],
  ['failed', 0.03],
  ['pending', 0.015],
  ['unrouted', 0.005],
] as const;

const BASE_WORDS = `payment invoice customer subscription renewal premium annual monthly refund dispute
  checkout order shipping warehouse delivery courier express standard priority bundle license seat
  enterprise starter growth team plan upgrade downgrade trial coupon discount promotion voucher credit
  balance ledger account settlement payout transfer bank card visa mastercard amex wallet receipt tax
  vat region europe america asia pacific london berlin paris tokyo sydney toronto chicago austin
  denver seattle boston madrid lisbon dublin oslo vienna prague warsaw zurich milan naples athens
  widget gadget sprocket gizmo module adapter cable charger monitor keyboard mouse laptop tablet
  phone camera lens tripod backpack bottle jacket sneaker hoodie blanket lamp chair desk shelf
  coffee tea chocolate vanilla caramel almond oat honey maple cinnamon ginger lemon mango cherry
  blue green red yellow purple orange silver golden black white crimson teal indigo ivory
  quarterly weekly daily hourly nightly backup restore migrate deploy release build pipeline
  merge branch commit review approve reject close reopen label milestone sprint backlog epic
  northwind contoso fabrikam globex initech umbrella hooli vandelay wonka stark wayne acme
  alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil
  trent victor walter yvonne zara`
  .split(/\s+/)
  .filter(Boolean);
const SYLLABLES = 'ka ri to na mo lu se vi da pe go zu fa le ni ro sa ti bo me ku ra ne do ha ji'.split(' ');
/** ~4,000 words: real ones first (the most frequent), then made-up ones for the long tail. */
const VOCAB = (() => {
  const words = new Set(BASE_WORDS);
  while (words.size < 4000) {
    const n = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
})();
/** 4,096 phrases of 4–9 Zipf-distributed words; a body takes 6 of them (plus a name and an email). */
const PHRASES = Array.from({ length: 4096 }, () =>
  Array.from({ length: 4 + Math.floor(rand() * 6) }, () => VOCAB[skewed(VOCAB.length)]!).join(' '),
);
const PHRASES_PER_BODY = 6;
/** Injected into a description with this probability: a word only a handful of events carry. */
const RARE_WORD = 'zephyrquill';
const RARE_RATE = 0.0001;

/** Share of bodies (predicted from the phrase table) in which a word appears, to pick q terms. */
function bodyShare(word: string): number {
  const re = new RegExp(word, 'i');
  const inPhrases = PHRASES.filter((p) => re.test(p)).length / PHRASES.length;
  return 1 - (1 - inPhrases) ** PHRASES_PER_BODY;
}
/** Words of the JSON itself (keys, types, URLs) would match every body: not search terms. */
const SKELETON = JSON.stringify({
  sources: SOURCES.map((s) => s.types),
  k: 'order_id hosted_invoice_url line_item example.com stripe invoice customer payment',
});
const nearest = (share: number) =>
  BASE_WORDS.filter((w) => !SKELETON.includes(w))
    .map((w) => ({ w, d: Math.abs(Math.log(bodyShare(w) / share)) }))
    .sort((a, b) => a.d - b.d)[0]!.w;
const COMMON_WORD = nearest(0.3);
const MEDIUM_WORD = nearest(0.01);

// ---------- the JS side (log.write): a realistic event ----------

const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);

function stripeBody(dedupeKey: string, type: string, createdS: number, pick: () => string): string {
  const lines = 1 + Math.floor(rand() * 3);
  return JSON.stringify({
    id: dedupeKey,
    object: 'event',
    api_version: '2024-06-20',
    created: createdS,
    data: {
      object: {
        id: `in_${hex(24)}`,
        object: 'invoice',
        account_country: 'US',
        account_name: pick(),
        amount_due: Math.floor(rand() * 100000),
        amount_paid: Math.floor(rand() * 100000),
        currency: 'usd',
        customer: `cus_${hex(14)}`,
        customer_email: `${VOCAB[skewed(VOCAB.length)]}.${VOCAB[skewed(VOCAB.length)]}@example.com`,
        customer_name: `${VOCAB[skewed(VOCAB.length)]} ${VOCAB[skewed(VOCAB.length)]}`,
        description: pick(),
        hosted_invoice_url: `https://invoice.stripe.com/i/acct_${hex(16)}/live_${hex(40)}`,
        lines: {
          object: 'list',
          data: Array.from({ length: lines }, () => ({
            id: `il_${hex(24)}`,
            object: 'line_item',
            amount: Math.floor(rand() * 10000),
            currency: 'usd',
            description: pick(),
            period: { start: createdS - 2592000, end: createdS },
            price: {
              id: `price_${hex(24)}`,
              product: `prod_${hex(14)}`,
              unit_amount: Math.floor(rand() * 5000),
            },
            quantity: 1 + Math.floor(rand() * 5),
          })),
          has_more: false,
        },
        metadata: { order_id: String(Math.floor(rand() * 1e7)), note: pick() },
        status: 'paid',
      },
    },
    livemode: true,
    pending_webhooks: 2,
    request: { id: `req_${hex(14)}`, idempotency_key: randomUUID() },
    type,
  });
}

function pickFrom<T>(items: readonly (readonly [T, number])[]): T {
  let r = rand();
  for (const [v, share] of items) if ((r -= share) < 0) return v;
  return items[items.length - 1]![0];
}

function envelopeFor(
  src: SourceSpec,
  id: string,
  at: number,
  type: string | undefined,
  key: string | undefined,
  body: string,
): Envelope {
  const sig = `t=${Math.floor(at / 1000)},v1=${hex(64)}`;
  return buildEnvelope(
    {
      id,
      receivedAt: at,
      source: src.name,
      method: 'POST',
      routePath: src.name === 'orders-api' ? '/api/orders' : `/hooks/${src.name}`,
      path: src.name === 'orders-api' ? '/api/orders' : `/hooks/${src.name}`,
      rawQueryString: '',
      rawHeaders: [
        'Host',
        'hooks.example.com',
        ...src.headers(sig),
        'Content-Length',
        String(Buffer.byteLength(body)),
        'X-Forwarded-For',
        '54.187.174.169',
        'X-Forwarded-Proto',
        'https',
        'X-Amzn-Trace-Id',
        `Root=1-${hex(8)}-${hex(24)}`,
      ],
      body: Buffer.from(body),
      sourceIp: '54.187.174.169',
      protocol: 'HTTP/1.1',
      domainName: 'hooks.example.com',
      verified: src.verifier !== 'none',
      verifier: src.verifier,
      ...(key !== undefined ? { dedupeKey: key } : {}),
      ...(type !== undefined ? { eventType: type } : {}),
    },
    { condition: 'Success', response: { statusCode: 204, headers: {}, body: null, isBase64Encoded: false } },
  );
}

function destinationsOf(source: string): string[] {
  return source === 'stripe' ? ['payments', 'analytics'] : [`${source}-events`, 'analytics'];
}

function loggedEvent(at: number): LoggedEvent {
  const src = pickFrom(SOURCES.map((s) => [s, s.share] as const));
  const type = src.types.length ? src.types[skewed(src.types.length)] : undefined;
  const id = newEventId(at);
  const key = src.types.length ? `evt_${hex(24)}` : undefined;
  const body = stripeBody(
    key ?? `ord_${hex(16)}`,
    type ?? 'order.updated',
    Math.floor(at / 1000),
    () => PHRASES[Math.floor(rand() * PHRASES.length)]!,
  );
  const status = pickFrom(STATUSES);
  const attempt = (n: number, outcome: 'success' | 'retry' | 'dead_letter') => ({
    attempt: n,
    startedAt: new Date(at + n * 1000).toISOString(),
    durationMs: 20 + Math.floor(rand() * 200),
    outcome,
    ...(outcome === 'success' ? { info: { statusCode: 200 } } : { error: 'HTTP 503 Service Unavailable' }),
  });
  const deliveries =
    status === 'unrouted'
      ? []
      : destinationsOf(src.name).map((d, i) => {
          const state: LoggedDelivery['state'] = i === 0 && status !== 'delivered' ? status : 'delivered';
          const attempts =
            state === 'failed'
              ? Array.from({ length: 10 }, (_, k) => attempt(k + 1, k === 9 ? 'dead_letter' : 'retry'))
              : state === 'pending'
                ? [attempt(1, 'retry')]
                : [attempt(1, 'success')];
          return {
            key: d,
            destination: d,
            state,
            attempts,
            ...(state === 'failed' ? { error: 'HTTP 503 Service Unavailable' } : {}),
          };
        });
  return {
    id,
    receivedAt: at,
    source: src.name,
    status,
    ...(type !== undefined ? { type } : {}),
    ...(key !== undefined ? { dedupeKey: key } : {}),
    envelope: envelopeFor(src, id, at, type, key, body),
    deliveries,
  };
}

// ---------- the SQL side: the same shapes, generated server-side ----------

/** The record without its body (log.write keeps the body in its own column), with placeholders. */
function recordTemplate(src: SourceSpec): string {
  const env = envelopeFor(
    src,
    '@@ID@@',
    1e12,
    src.types.length ? '@@TYPE@@' : undefined,
    src.types.length ? '@@KEY@@' : undefined,
    '',
  );
  env.timestamp = '@@TS@@';
  env.requestPayload.requestContext.time = '@@AGT@@';
  (env.requestPayload.requestContext as { timeEpoch: unknown }).timeEpoch = '@@EPOCH@@';
  env.requestPayload.headers['content-length'] = '@@LEN@@';
  for (const h of ['stripe-signature', 'x-hub-signature-256', 'x-slack-signature', 'x-shopify-hmac-sha256'])
    if (h in env.requestPayload.headers) env.requestPayload.headers[h] = '@@SIG@@';
  if ('x-github-event' in env.requestPayload.headers)
    env.requestPayload.headers['x-github-event'] = '@@TYPE@@';
  if ('x-shopify-topic' in env.requestPayload.headers)
    env.requestPayload.headers['x-shopify-topic'] = '@@TYPE@@';
  env.requestPayload.body = null;
  return JSON.stringify(env).replace('"@@EPOCH@@"', '@@EPOCH@@');
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const S = ident(SCHEMA);

/** Events g in [lo, hi] of `total`, received in order over [start, start + span). */
function seedEventsSql(lo: number, hi: number, start: number, span: number): string {
  // One draw per event: width_bucket counts the cumulative shares below it.
  let cum = 0;
  const srcExpr = `1 + width_bucket(random(), ARRAY[${SOURCES.slice(0, -1)
    .map((s) => (cum += s.share))
    .join(',')}]::float8[])`;
  const ms = 'floor(extract(epoch FROM x.at) * 1000)::bigint';
  const ulid =
    Array.from(
      { length: 10 },
      (_, k) => `substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((${ms} >> ${5 * (9 - k)}) & 31)::int + 1, 1)`,
    ).join(' || ') + ' || upper(substr(x.h2, 1, 16))';
  let acc = 0;
  const statusCase = `CASE ${STATUSES.map(([s, share]) => `WHEN x.r_status < ${(acc += share)} THEN '${s}'`).join(' ')} ELSE 'unrouted' END`;
  const typesArr = SOURCES.map((s) => `ARRAY[${s.types.map(lit).join(',') || 'NULL'}]::text[]`);
  const typeCount = `(ARRAY[${SOURCES.map((s) => s.types.length).join(',')}])[x.src]`;
  const templates = `(ARRAY[${SOURCES.map((s) => lit(recordTemplate(s))).join(',')}])[x.src]`;
  const names = `(ARRAY[${SOURCES.map((s) => lit(s.name)).join(',')}])[x.src]`;
  const phrase = (k: number) => `(SELECT p FROM ${S}.phrases WHERE i = x.p${k})`;
  const word = (k: number) => `(SELECT w FROM ${S}.words WHERE i = x.w${k})`;
  const picks = Array.from(
    { length: PHRASES_PER_BODY },
    (_, k) => `floor(random() * ${PHRASES.length})::int AS p${k}`,
  );
  const wordPicks = Array.from(
    { length: 4 },
    (_, k) => `(floor(exp(random() * ln(${VOCAB.length + 1}))) - 1)::int AS w${k}`,
  );
  const item = (k: number) =>
    `'{"id":"il_' || substr(x.h1, ${k * 3 + 1}, 24) || '","object":"line_item","amount":' || (x.n${k} % 10000) ||
     ',"currency":"usd","description":' || to_json(${phrase(k + 2)})::text ||
     ',"period":{"start":' || (extract(epoch FROM x.at)::bigint - 2592000) || ',"end":' || extract(epoch FROM x.at)::bigint ||
     '},"price":{"id":"price_' || substr(x.h2, ${k * 3 + 1}, 24) || '","product":"prod_' || substr(x.h3, ${k + 1}, 14) ||
     '","unit_amount":' || (x.n${k} % 5000) || '},"quantity":' || (1 + x.n${k} % 5) || '}'`;
  // x: one row of random draws per event (a volatile subquery is evaluated once per row).
  return `
    INSERT INTO ${S}.events (id, received_at, source, event_type, dedupe_key, status, record, body, logged_at)
    SELECT y.id, y.at, y.source, y.type, y.key, y.status,
           replace(replace(replace(replace(replace(replace(replace(replace(y.tpl,
             '@@ID@@', y.id), '@@TS@@', to_char(y.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
             '@@AGT@@', to_char(y.at AT TIME ZONE 'UTC', 'DD/Mon/YYYY:HH24:MI:SS "+0000"')),
             '@@EPOCH@@', (extract(epoch FROM y.at) * 1000)::bigint::text), '@@LEN@@', octet_length(y.body)::text),
             '@@SIG@@', 't=' || y.created || ',v1=' || y.sig), '@@TYPE@@', coalesce(y.type, '')),
             '@@KEY@@', coalesce(y.key, ''))::json,
           y.body, y.at + interval '2 seconds'
      FROM (
        SELECT z.*, ${templates.replace(/x\.src/g, 'z.src')} AS tpl,
          '{"id":"' || coalesce(z.key, 'ord_' || substr(z.h1, 1, 16)) || '","object":"event","api_version":"2024-06-20","created":' || z.created ||
          ',"data":{"object":{"id":"in_' || substr(z.h4, 1, 24) || '","object":"invoice","account_country":"US","account_name":' || z.account_name ||
          ',"amount_due":' || z.n0 % 100000 || ',"amount_paid":' || z.n1 % 100000 || ',"currency":"usd","customer":"cus_' || substr(z.h4, 9, 14) ||
          '","customer_email":"' || z.email || '","customer_name":"' || z.cname || '","description":' || z.description ||
          ',"hosted_invoice_url":"https://invoice.stripe.com/i/acct_' || substr(z.h2, 1, 16) || '/live_' || z.h5 || substr(z.h3, 1, 8) ||
          '","lines":{"object":"list","data":[' || z.items || '],"has_more":false},"metadata":{"order_id":"' || z.n2 % 10000000 ||
          '","note":' || z.note || '},"status":"paid"}},"livemode":true,"pending_webhooks":2,"request":{"id":"req_' || substr(z.h5, 1, 14) ||
          '","idempotency_key":"' || z.uuid || '"},"type":"' || coalesce(z.type, 'order.updated') || '"}' AS body
        FROM (
          SELECT x.g,
            ${names} AS source,
            CASE WHEN ${typeCount} = 0 THEN NULL
                 ELSE (CASE x.src ${typesArr.map((a, k) => `WHEN ${k + 1} THEN ${a}`).join(' ')} END)
                      [1 + least(${typeCount} - 1, floor(exp(x.r_type * ln(${typeCount} + 1)))::int - 1)] END AS type,
            CASE WHEN ${typeCount} = 0 THEN NULL ELSE 'evt_' || substr(x.h1, 1, 24) END AS key,
            ${ulid} AS id, x.at, ${statusCase} AS status, x.src,
            extract(epoch FROM x.at)::bigint AS created,
            x.h1, x.h2, x.h3, x.h4, x.h5, x.n0, x.n1, x.n2, x.uuid,
            md5(x.h1 || x.h2) || md5(x.h3 || x.h4) AS sig,
            to_json(${phrase(0)})::text AS account_name,
            to_json(${phrase(1)} || CASE WHEN x.r_rare < ${RARE_RATE} THEN ' ${RARE_WORD}' ELSE '' END)::text AS description,
            to_json(${phrase(PHRASES_PER_BODY - 1)})::text AS note,
            ${word(0)} || '.' || ${word(1)} || '@example.com' AS email,
            ${word(2)} || ' ' || ${word(3)} AS cname,
            ${item(0)} || CASE WHEN x.lines > 1 THEN ',' || ${item(1)} ELSE '' END
                       || CASE WHEN x.lines > 2 THEN ',' || ${item(2)} ELSE '' END AS items
          FROM (
            SELECT g,
              to_timestamp((${start} + (g - ${lo}) * ${span / (hi - lo + 1)} + random() * ${span / (hi - lo + 1)}) / 1000.0) AS at,
              ${srcExpr} AS src, random() AS r_type, random() AS r_status, random() AS r_rare,
              1 + floor(random() * 3)::int AS lines,
              md5(random()::text) AS h1, md5(random()::text) AS h2, md5(random()::text) AS h3,
              md5(random()::text) AS h4, md5(random()::text) AS h5, gen_random_uuid()::text AS uuid,
              floor(random() * 1e9)::int AS n0, floor(random() * 1e9)::int AS n1, floor(random() * 1e9)::int AS n2,
              ${[...picks, ...wordPicks].join(', ')}
            FROM generate_series(${lo}, ${hi}) g
          ) x
        ) z
      ) y`;
}

/** Deliveries of the events received in [from, to): two each (none for an unrouted event). */
function seedDeliveriesSql(from: string, to: string): string {
  const attempt = (n: string, outcome: string, extra: string) =>
    `jsonb_build_object('attempt', ${n}, 'startedAt', to_char((e.received_at + (${n}) * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       'durationMs', 20 + floor(random() * 200)::int, 'outcome', ${outcome}, ${extra})`;
  return `
    INSERT INTO ${S}.deliveries (event_id, received_at, delivery_key, destination, state, attempts, error, updated_at)
    SELECT e.id, e.received_at, d.dest, d.dest, d.state,
      CASE d.state
        WHEN 'failed' THEN (SELECT jsonb_agg(${attempt('k', "CASE WHEN k = 10 THEN 'dead_letter' ELSE 'retry' END", "'error', 'HTTP 503 Service Unavailable'")} ORDER BY k)
                              FROM generate_series(1, 10 + 0 * length(e.id)) k)
        WHEN 'pending' THEN jsonb_build_array(${attempt('1', "'retry'", "'error', 'HTTP 503 Service Unavailable', 'retryInMs', 2000")})
        ELSE jsonb_build_array(${attempt('1', "'success'", "'info', jsonb_build_object('statusCode', 200)")})
      END,
      CASE d.state WHEN 'failed' THEN 'HTTP 503 Service Unavailable' END,
      e.received_at + interval '3 seconds'
    FROM ${S}.events e
    CROSS JOIN LATERAL (
      SELECT CASE WHEN e.source = 'stripe' THEN 'payments' ELSE e.source || '-events' END AS dest,
             CASE WHEN e.status IN ('failed', 'pending') THEN e.status ELSE 'delivered' END AS state
      UNION ALL SELECT 'analytics', 'delivered'
    ) d
    WHERE e.status <> 'unrouted' AND e.received_at >= '${from}' AND e.received_at < '${to}'`;
}

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
  await eventLog.migrate();
  const start = now - DAYS * DAY;
  const days: number[] = [];
  for (let d = dayOf(start); d <= dayOf(now); d++) days.push(d);
  await ensureDays(sql, SCHEMA, days);
  await q(`CREATE TABLE ${S}.phrases (i int PRIMARY KEY, p text NOT NULL)`);
  await q(`CREATE TABLE ${S}.words (i int PRIMARY KEY, w text NOT NULL)`);
  await q(`INSERT INTO ${S}.phrases SELECT i - 1, p FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i)`, [
    PHRASES,
  ]);
  await q(`INSERT INTO ${S}.words SELECT i - 1, w FROM unnest($1::text[]) WITH ORDINALITY AS t(w, i)`, [
    VOCAB,
  ]);
  // The text index is built after the rows (in bulk); the B-trees grow with them.
  const words = await q<{ def: string }>(
    `SELECT pg_get_indexdef(c.oid) AS def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = 'events_body_words'`,
    [SCHEMA],
  );
  if (words.length) await q(`DROP INDEX ${S}.events_body_words`);

  // Chunks in receipt order, two connections at once (the machine has 2 cores).
  const CHUNKS = Math.max(1, Math.ceil(EVENTS / 50_000));
  const per = Math.ceil(EVENTS / CHUNKS);
  const span = (DAYS * DAY) / CHUNKS;
  let next = 0;
  let done = 0;
  const t0 = clock();
  const worker = async () => {
    for (;;) {
      const c = next++;
      if (c >= CHUNKS) return;
      const lo = c * per + 1;
      const hi = Math.min(EVENTS, (c + 1) * per);
      const client = await admin.connect();
      try {
        await client.query(seedEventsSql(lo, hi, start + c * span, span));
      } finally {
        client.release();
      }
      done += hi - lo + 1;
      if (c % 4 === 3) log(`events: ${done} / ${EVENTS} (${((clock() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all([worker(), worker()]);
  const seedEventsS = (clock() - t0) / 1000;
  log(`events seeded in ${seedEventsS.toFixed(0)} s`);

  const t1 = clock();
  const dayList = [...days];
  await Promise.all(
    [0, 1].map(async () => {
      for (let d = dayList.shift(); d !== undefined; d = dayList.shift())
        await q(seedDeliveriesSql(new Date(d * DAY).toISOString(), new Date((d + 1) * DAY).toISOString()));
    }),
  );
  const seedDeliveriesS = (clock() - t1) / 1000;
  log(`deliveries seeded in ${seedDeliveriesS.toFixed(0)} s`);

  let gin = 0;
  if (words.length) {
    const t2 = clock();
    const parts = days.map((d) => `events_${new Date(d * DAY).toISOString().slice(0, 10).replace(/-/g, '')}`);
    const using = words[0]!.def.slice(words[0]!.def.indexOf(' USING '));
    await Promise.all(
      [0, 1].map(async () => {
        const client = await admin.connect();
        try {
          await client.query(`SET maintenance_work_mem = '1GB'`);
          for (let p = parts.shift(); p !== undefined; p = parts.shift())
            await client.query(`CREATE INDEX ${ident(`${p}_body_idx`)} ON ${S}.${ident(p)}${using}`);
        } finally {
          client.release();
        }
      }),
    );
    // The migration's own statement: it attaches the partitions' matching indexes.
    await q(words[0]!.def.replace(' ON ONLY ', ' ON '));
    gin = (clock() - t2) / 1000;
    log(`text index built in ${gin.toFixed(0)} s`);
  }
  out.push(
    `seeded ${EVENTS.toLocaleString('en')} events over ${DAYS} days (${days.length} daily partitions): ` +
      `events ${seedEventsS.toFixed(0)} s, deliveries ${seedDeliveriesS.toFixed(0)} s, text index ${gin.toFixed(0)} s (server-side SQL, 2 connections)`,
  );
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
