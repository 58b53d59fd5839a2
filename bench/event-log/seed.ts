/**
 * The million-event log the benches share (bench/event-log, bench/console): a
 * deterministic corpus (sources, types, Zipf-distributed words) and a seeder that
 * writes it server-side (INSERT … SELECT generate_series, two connections in
 * parallel) in receipt order, with the schema's B-tree indexes in place so they grow
 * as they do in production. The words of each body (body_words, which log.write
 * fills from words.ts) are split in SQL the same way as the rows go in; their GIN index, the
 * text index, is then built in bulk (CREATE INDEX per partition, attached by the
 * migration's own CREATE INDEX), which is faster and gives a slightly smaller GIN than
 * one grown by inserts (log.write measures the grown one's cost).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventLog } from '../../src/event-log/log.js';
import { dayOf, ensureDays } from '../../src/event-log/partitions.js';
import type { Sql } from '../../src/event-log/sql.js';
import type { LoggedDelivery, LoggedEvent } from '../../src/event-log/types.js';
import { buildEnvelope } from '../../src/record/build.js';
import type { Envelope } from '../../src/record/envelope.js';
import { newEventId } from '../../src/record/id.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

// ---------- a deterministic corpus: sources, types, words ----------

let state = 42;
/** mulberry32: the same corpus every run. */
export function rand(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
/** Index in [0, n) with a log-uniform (Zipf-like) skew: 0 is the most frequent. */
export const skewed = (n: number, r = rand()) =>
  Math.min(n - 1, Math.floor(Math.exp(r * Math.log(n + 1))) - 1);

export interface SourceSpec {
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
export const TYPE_COUNT = SOURCES.reduce((n, s) => n + s.types.length, 0);

export const STATUSES = [
  ['delivered', 0.95],
  ['failed', 0.03],
  ['pending', 0.015],
  ['unrouted', 0.005],
] as const;

export const BASE_WORDS = `payment invoice customer subscription renewal premium annual monthly refund dispute
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
export const VOCAB = (() => {
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
export const PHRASES = Array.from({ length: 4096 }, () =>
  Array.from({ length: 4 + Math.floor(rand() * 6) }, () => VOCAB[skewed(VOCAB.length)]!).join(' '),
);
export const PHRASES_PER_BODY = 6;
/** Injected into a description with this probability: a word only a handful of events carry. */
export const RARE_WORD = 'zephyrquill';
export const RARE_RATE = 0.0001;

/** Share of bodies (predicted from the phrase table) in which a word appears, to pick q terms. */
export function bodyShare(word: string): number {
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
export const COMMON_WORD = nearest(0.3);
export const MEDIUM_WORD = nearest(0.01);

// ---------- the JS side (log.write): a realistic event ----------

export const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);

export function stripeBody(dedupeKey: string, type: string, createdS: number, pick: () => string): string {
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

export function envelopeFor(
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

export function destinationsOf(source: string): string[] {
  return source === 'stripe' ? ['payments', 'analytics'] : [`${source}-events`, 'analytics'];
}

export function loggedEvent(at: number): LoggedEvent {
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
export function recordTemplate(src: SourceSpec): string {
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

export const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

function seedEventsSql(S: string, lo: number, hi: number, start: number, span: number): string {
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
    INSERT INTO ${S}.events (id, received_at, source, event_type, dedupe_key, status, record, body, body_words, logged_at)
    SELECT y.id, y.at, y.source, y.type, y.key, y.status,
           replace(replace(replace(replace(replace(replace(replace(replace(y.tpl,
             '@@ID@@', y.id), '@@TS@@', to_char(y.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
             '@@AGT@@', to_char(y.at AT TIME ZONE 'UTC', 'DD/Mon/YYYY:HH24:MI:SS "+0000"')),
             '@@EPOCH@@', (extract(epoch FROM y.at) * 1000)::bigint::text), '@@LEN@@', octet_length(y.body)::text),
             '@@SIG@@', 't=' || y.created || ',v1=' || y.sig), '@@TYPE@@', coalesce(y.type, '')),
             '@@KEY@@', coalesce(y.key, ''))::json,
           y.body,
           -- log.write's words (src/event-log/words.ts), split in SQL: runs of letters and digits.
           array_to_tsvector(array_remove(regexp_split_to_array(lower(y.body), '[^[:alnum:]]+'), '')),
           y.at + interval '2 seconds'
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
function seedDeliveriesSql(S: string, from: string, to: string): string {
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
export interface SeedOptions {
  /** Two connections at least: the seeder runs two statements at once. */
  admin: pg.Pool;
  sql: Sql;
  eventLog: EventLog;
  schema: string;
  events: number;
  days: number;
  now: number;
  log: (msg: string) => void;
}

/** Seeds `events` events over the `days` before `now` (with their deliveries); answers one line of timings. */
export async function seedLog(options: SeedOptions): Promise<string> {
  const { admin, sql, eventLog, schema: SCHEMA, events: EVENTS, days: DAYS, now, log } = options;
  const S = ident(SCHEMA);
  const clock = () => performance.now();
  const q = async <T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> =>
    (await admin.query(text, params)).rows as T[];
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
        await client.query(seedEventsSql(S, lo, hi, start + c * span, span));
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
        await q(seedDeliveriesSql(S, new Date(d * DAY).toISOString(), new Date((d + 1) * DAY).toISOString()));
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
  return (
    `seeded ${EVENTS.toLocaleString('en')} events over ${DAYS} days (${days.length} daily partitions): ` +
    `events ${seedEventsS.toFixed(0)} s, deliveries ${seedDeliveriesS.toFixed(0)} s, text index ${gin.toFixed(0)} s (server-side SQL, 2 connections)`
  );
}
