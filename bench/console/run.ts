/**
 * The console over an event log of 1,000,000 events: the Events page's first
 * response (no filter, each filter, a search), the Event page, and the live view in
 * real Chromium while 1,000 events/s arrive.
 *
 *   npm run bench -- console      (or node --import tsx bench/console/run.ts)
 *
 * Env: DATABASE_URL, REDIS_URL, BENCH_CONSOLE_EVENTS (1000000), BENCH_CONSOLE_SCHEMA
 * (a schema seeded by an earlier run with BENCH_CONSOLE_KEEP=1: reused, not seeded
 * again), BENCH_CONSOLE_KEEP=1, BENCH_CONSOLE_RUNS (30 per page), BENCH_CONSOLE_RATE
 * (1000 events/s), BENCH_CONSOLE_LIVE_S (20 s), CHROMIUM_PATH (/usr/bin/chromium).
 *
 * The log is seeded by bench/event-log/seed.ts (the event-log bench's corpus: 5
 * sources, one of them in proxy mode). Pages are fetched over HTTP from the admin
 * app (buildAdmin, listening on 127.0.0.1) with a signed-in session, as a browser
 * would. The live events are accepted into Redis as the ingress does (IntakeWriter),
 * so the console lists them from Redis beside the log. In the browser: main-thread
 * busy % (CDP Performance.getMetrics TaskDuration over wall time), long tasks
 * (PerformanceObserver 'longtask', > 50 ms), and the newest row's age (now − its
 * receipt time, sampled every 250 ms). The machine is shared: figures are for this run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { buildAdmin } from '../../src/admin/app.js';
import { validateConfig } from '../../src/config/load.js';
import { createDeadLetterStore } from '../../src/dead-letter/store.js';
import { createSql } from '../../src/event-log/client.js';
import { createEventLog } from '../../src/event-log/log.js';
import { createEventHistory } from '../../src/events/index.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/queue/delivery-queues.js';
import { createIntakeWriter } from '../../src/queue/intake-writer.js';
import { COMMON_WORD, ident, loggedEvent, seedLog } from '../event-log/seed.js';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env.BENCH_CONSOLE_EVENTS ?? 1_000_000);
const GIVEN_SCHEMA = process.env.BENCH_CONSOLE_SCHEMA;
const KEEP = process.env.BENCH_CONSOLE_KEEP === '1' || GIVEN_SCHEMA !== undefined;
const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 30);
const RATE = Number(process.env.BENCH_CONSOLE_RATE ?? 1000);
const LIVE_S = Number(process.env.BENCH_CONSOLE_LIVE_S ?? 20);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCHEMA = GIVEN_SCHEMA ?? `hgbench_console_${randomBytes(4).toString('hex')}`;
const PREFIX = `hgbench-console-${randomBytes(4).toString('hex')}`;
const TOKEN = randomBytes(24).toString('hex');
const log = (msg: string) => console.error(`[console bench] ${msg}`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
};
const out: string[] = [];

const admin = new pg.Pool({ connectionString: PG_URL, max: 2, application_name: 'hookgate-bench' });
const q = async <T = Record<string, unknown>>(text: string, params?: unknown[]) =>
  (await admin.query(text, params)).rows as T[];

const config = validateConfig(
  {
    redis: { url: REDIS_URL, prefix: PREFIX },
    admin: { token: TOKEN, host: '127.0.0.1', port: 0 },
    eventLog: { postgres: { url: PG_URL, schema: SCHEMA, pool: 4 } },
    sources: {
      stripe: { routes: [{ to: 'sink' }] },
      github: { routes: [{ to: 'sink' }] },
      shopify: { routes: [{ to: 'sink' }] },
      slack: { routes: [{ to: 'sink' }] },
      'orders-api': {
        mode: 'proxy',
        path: '/api/orders',
        upstream: { url: 'http://127.0.0.1:9/orders' },
        routes: [{ to: 'sink' }],
      },
    },
    destinations: { sink: { type: 'http', url: 'http://127.0.0.1:9/' } },
  },
  { env: {} },
);

const sql = createSql(PG_URL, 4);
const eventLog = createEventLog(sql, SCHEMA);
const existing = Number(
  (
    await q<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'events'`,
      [SCHEMA],
    )
  )[0]!.n,
);
let size: number;
if (existing) {
  size = Number((await q<{ n: string }>(`SELECT count(*) AS n FROM ${ident(SCHEMA)}.events`))[0]!.n);
  out.push(`log: schema ${SCHEMA} reused, ${size.toLocaleString('en')} events`);
} else {
  log(`seeding ${EVENTS} events into ${SCHEMA}`);
  out.push(
    await seedLog({ admin, sql, eventLog, schema: SCHEMA, events: EVENTS, days: 7, now: Date.now(), log }),
  );
  await q(`ANALYZE ${ident(SCHEMA)}.events`);
  await q(`ANALYZE ${ident(SCHEMA)}.deliveries`);
  size = EVENTS;
}

const queues = openStore(config);
const logger = createLogger('silent');
const app = await buildAdmin({
  config,
  logger,
  metrics: createMetrics({ defaults: false }),
  queues,
  deadLetters: createDeadLetterStore(queues, config, eventLog),
  events: createEventHistory(queues, config, eventLog),
  eventLog,
});
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const intake = createIntakeWriter({
  redis: config.redis,
  retention: config.retention.events,
  dedupeRetention: config.retention.dedupe,
  enqueueTimeout: 5000,
});

try {
  const signIn = await fetch(`${base}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKEN, next: '/admin/' }),
    redirect: 'manual',
  });
  const cookie = String(signIn.headers.get('set-cookie')).split(';')[0]!;
  const timed = async (path: string) => {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { cookie } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    return { ms: performance.now() - t0, body };
  };
  const sample = await q<{ id: string; dedupe_key: string | null; source: string }>(
    `SELECT id, dedupe_key, source FROM ${ident(SCHEMA)}.events TABLESAMPLE SYSTEM (0.5) ORDER BY random() LIMIT 200`,
  );
  const keys = sample.filter((s) => s.dedupe_key).map((s) => s.dedupe_key!);
  let k = 0;
  const cases: [string, () => string][] = [
    ['no filter', () => ''],
    ['source=stripe', () => 'source=stripe'],
    ['source=orders-api (proxy, with Request → answer)', () => 'source=orders-api'],
    ['type=invoice.paid', () => 'type=invoice.paid'],
    ['status=failed', () => 'status=failed'],
    ['status=pending', () => 'status=pending'],
    ['since=1h', () => 'since=1h'],
    ['q = a dedupe key', () => `q=${encodeURIComponent(keys[k++ % keys.length]!)}`],
    [`q = a common word (${COMMON_WORD})`, () => `q=${COMMON_WORD}`],
  ];
  out.push(
    '',
    `Events page (/admin/, first page of 50), ${RUNS} runs each after one warm-up, ${size.toLocaleString('en')} events in the log:`,
    '',
    '| filter | p50 ms | p95 ms |',
    '|---|---|---|',
  );
  for (const [name, query] of cases) {
    await timed(`/admin/?${query()}`);
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) ms.push((await timed(`/admin/?${query()}`)).ms);
    out.push(`| ${name} | ${pct(ms, 50).toFixed(1)} | ${pct(ms, 95).toFixed(1)} |`);
    log(`${name}: p50 ${pct(ms, 50).toFixed(1)} ms`);
  }
  const ms: number[] = [];
  for (let i = 0; i < Math.max(RUNS, 50); i++)
    ms.push((await timed(`/admin/console/events/${sample[i % sample.length]!.id}`)).ms);
  out.push(
    '',
    `Event page (/admin/console/events/:id, ${ms.length} sampled events, each read from the log): p50 ${pct(ms, 50).toFixed(1)} ms, p95 ${pct(ms, 95).toFixed(1)} ms`,
  );

  // ---- the live view at RATE events/s ----
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const u = new URL(base);
    const [name, value] = cookie.split('=');
    await context.addCookies([{ name: name!, value: value!, domain: u.hostname, path: '/admin' }]);
    const page = await context.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${base}/admin/`);
    await page.locator('#event-rows').waitFor();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const taskSeconds = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'TaskDuration')!.value;
    };

    let sent = 0;
    let stop = false;
    const generator = (async () => {
      const started = performance.now();
      while (!stop) {
        const due = Math.floor(((performance.now() - started) / 1000) * RATE);
        const batch: Promise<unknown>[] = [];
        for (; sent < due; sent++) {
          const e = loggedEvent(Date.now()).envelope;
          batch.push(
            intake.accept(e, {
              source: e.source,
              ...(e.requestContext.eventType ? { eventType: e.requestContext.eventType } : {}),
              ...(e.requestContext.dedupeKey ? { dedupeKey: e.requestContext.dedupeKey } : {}),
            }),
          );
        }
        await Promise.all(batch);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await page.waitForTimeout(3000); // the first polls
    const ages: number[] = [];
    const t0 = performance.now();
    const busy0 = await taskSeconds();
    const windowStart = await page.evaluate(() => performance.now());
    const sent0 = sent;
    const long0 = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.length);
    while (performance.now() - t0 < LIVE_S * 1000) {
      ages.push(
        await page.evaluate(() => {
          const t = document.querySelector('#event-rows tr time');
          return t ? Date.now() - Date.parse(t.getAttribute('datetime')!) : NaN;
        }),
      );
      await page.waitForTimeout(250);
    }
    const wall = (performance.now() - t0) / 1000;
    const busy = (await taskSeconds()) - busy0;
    const rate = (sent - sent0) / wall;
    const info = await page.evaluate(() => ({
      long: (window as unknown as { longTasks: number[] }).longTasks,
      rows: document.querySelectorAll('#event-rows tr').length,
      more: document.getElementById('live-more')?.textContent ?? '',
      polls: performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/admin/console/live'))
        .map((e) => ({ ms: (e as PerformanceResourceTiming).responseEnd - e.startTime, at: e.startTime })),
    }));
    const pollMs = info.polls.filter((p) => p.at >= windowStart).map((p) => p.ms);
    stop = true;
    await generator;
    out.push(
      '',
      `Live view in Chromium, ${wall.toFixed(0)} s while ${rate.toFixed(0)} events/s arrived (accepted into Redis as the ingress does; polls every 2 s):`,
      `main thread busy ${((busy / wall) * 100).toFixed(1)}% (CDP TaskDuration ${(busy * 1000).toFixed(0)} ms over ${wall.toFixed(1)} s); ` +
        `long tasks (> 50 ms): ${info.long.length - long0}; newest row's age p50 ${pct(ages, 50).toFixed(0)} ms, p95 ${pct(ages, 95).toFixed(0)} ms, max ${Math.max(...ages).toFixed(0)} ms ` +
        `(${ages.length} samples); rows in the table at the end: ${info.rows}; "${info.more.trim()}"; ` +
        `each poll (/admin/console/live, as the browser timed it) p50 ${pct(pollMs, 50).toFixed(0)} ms, p95 ${pct(pollMs, 95).toFixed(0)} ms (${pollMs.length} polls)`,
    );
  } finally {
    await browser.close();
  }
} finally {
  await app.close();
  await intake.close();
  // This run's Redis keys (the live events and the queues).
  let cursor = '0';
  do {
    const [next, found] = await queues.redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await queues.redis.del(...found);
  } while (cursor !== '0');
  await queues.close();
  if (KEEP)
    log(
      `kept schema ${SCHEMA}: BENCH_CONSOLE_SCHEMA=${SCHEMA} reuses it; DROP SCHEMA ${SCHEMA} CASCADE when done`,
    );
  else await q(`DROP SCHEMA IF EXISTS ${ident(SCHEMA)} CASCADE`);
  await eventLog.close();
  await admin.end();
}
console.log(`\nconsole bench (${SCHEMA}, PostgreSQL at ${new URL(PG_URL).host})\n`);
console.log(out.join('\n'));
