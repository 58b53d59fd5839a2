/**
 * HTTP destination CPU benchmark: the client CPU one delivery costs in this process,
 * `HttpDestination` (an undici Pool driven through `dispatch`) against the two
 * implementations before it (global `fetch`, then node:http with a keep-alive agent),
 * same run, alternating.
 *
 *   npm run bench   (BENCH_HTTP_DELIVERIES=5000, BENCH_HTTP_CONCURRENCY=50, BENCH_HTTP_ROUNDS=3,
 *                    BENCH_HTTP_FETCH=<git revision whose src/destinations/http.ts uses fetch>,
 *                    BENCH_HTTP_NODE=<git revision whose http.ts uses node:http>)
 *
 * The receiver runs in another process, so only the sender's CPU (`process.cpuUsage`,
 * user + system) is counted: record formatting, headers, the request and reading the
 * answer. The older implementations are taken from git (`git show`) into temporary
 * files for the run; they are not part of the source tree.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool, type Dispatcher } from 'undici';
import { HttpDestination } from '../../src/destinations/http.js';
import { httpOptions } from '../../src/destinations/options.js';
import type { Destination } from '../../src/destinations/types.js';
import type { Envelope } from '../../src/record/envelope.js';
import { keepStoredJson } from '../../src/record/format.js';
import { sampleRecord } from '../../test/destinations/record.js';
import { stop } from '../spawn-server.js';

const DELIVERIES = Number(process.env.BENCH_HTTP_DELIVERIES ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_HTTP_CONCURRENCY ?? 50);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
// The last commit before the node:http rewrite (main, 2026-12-01).
const FETCH = process.env.BENCH_HTTP_FETCH ?? 'f1bba1a';
// The last commit before the undici rewrite (main, 2026-12-03).
const NODE_HTTP = process.env.BENCH_HTTP_NODE ?? '4b3d5df';
const TIMEOUT_MS = 10_000;

type DestinationClass = new (
  name: string,
  options: ReturnType<typeof httpOptions.parse>,
  timeoutMs: number,
) => Destination;

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The baseline's http.ts, its relative imports pointed at this checkout's src/. */
async function loadBaseline(dir: string, revision: string): Promise<DestinationClass> {
  const source = execFileSync('git', ['show', `${revision}:src/destinations/http.ts`], {
    cwd: root,
  }).toString();
  const srcDir = pathToFileURL(join(root, 'src/destinations/')).href;
  const rewritten = source.replace(
    /from '(\.\.?\/[^']+)'/g,
    (_, path: string) => `from '${new URL(path, srcDir).href}'`,
  );
  const file = join(dir, `http-${revision}.ts`);
  writeFileSync(file, rewritten);
  const mod = (await import(pathToFileURL(file).href)) as { HttpDestination: DestinationClass };
  return mod.HttpDestination;
}

function startReceiver(): Promise<{ child: ChildProcess; url: string }> {
  const script = fileURLToPath(new URL('./receiver.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        child.stdout?.off('data', onData).resume();
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`receiver exited (${code}) before listening`)));
  });
}

/** 200 distinct Stripe-like records of 1–3 KB, built before any timing. */
function records(): Envelope[] {
  return Array.from({ length: 200 }, (_, i) =>
    sampleRecord({
      body: JSON.stringify({
        id: `evt_${i}`,
        type: 'invoice.paid',
        data: {
          object: { customer: 'cus_42', amount: 1999, description: 'x'.repeat(1000 + (i % 20) * 100) },
        },
      }),
    }),
  );
}

async function drive(destination: Destination, pool: Envelope[], count: number): Promise<void> {
  const live = new AbortController().signal;
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const record = pool[next++ % pool.length]!;
      await destination.send(record, live);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/**
 * The floor of any HTTP delivery: the same undici Pool, one POST of a body serialised
 * beforehand with fixed headers, the answer read and dropped; no record formatting,
 * no deadline, no error handling. What is left between it and `undici` is hookgate's.
 */
class FloorDestination {
  readonly type = 'http';
  readonly name = 'floor';
  private readonly pool: Pool;
  private readonly path: string;
  private readonly bodies = new Map<Envelope, Buffer>();
  constructor(url: string, pool: Envelope[]) {
    const u = new URL(url);
    this.pool = new Pool(u.origin, {
      connections: null,
      keepAliveTimeout: 4000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.path = u.pathname;
    for (const record of pool) this.bodies.set(record, Buffer.from(JSON.stringify(record)));
  }
  send(record: Envelope): Promise<{ info: { status: number } }> {
    const body = this.bodies.get(record)!;
    return new Promise((resolve, reject) => {
      let status = 0;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart() {},
        onResponseStart(_c, statusCode) {
          status = statusCode;
        },
        onResponseData() {},
        onResponseEnd() {
          resolve({ info: { status } });
        },
        onResponseError(_c, err) {
          reject(err);
        },
      };
      const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
      this.pool.dispatch({ path: this.path, method: 'POST', headers, body }, handler);
    });
  }
  close(): Promise<void> {
    return this.pool.close();
  }
}

interface Measured {
  cpuUs: number;
  perSecond: number;
}

async function measure(destination: Destination, pool: Envelope[]): Promise<Measured> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await drive(destination, pool, DELIVERIES);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / DELIVERIES, perSecond: (DELIVERIES / ms) * 1000 };
}

async function received(url: string): Promise<number> {
  return Number(await (await fetch(`${url}/count`)).text());
}

const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-http-'));
const receiver = await startReceiver();
try {
  const FetchDestination = await loadBaseline(dir, FETCH);
  const NodeHttpDestination = await loadBaseline(dir, NODE_HTTP);
  const options = httpOptions.parse({ type: 'http', url: `${receiver.url}/webhooks` });
  const targets: [string, Destination][] = [
    [`fetch (${FETCH})`, new FetchDestination('bench', options, TIMEOUT_MS)],
    [`node:http (${NODE_HTTP})`, new NodeHttpDestination('bench', options, TIMEOUT_MS)],
    ['undici', new HttpDestination('bench', options, TIMEOUT_MS)],
  ];
  const pool = records();
  // As the worker has them: read from Redis, their stored JSON kept (record/format.ts), so
  // an `envelope` delivery sends those bytes instead of serialising the record again.
  const stored = records();
  for (const record of stored) keepStoredJson(record, Buffer.from(JSON.stringify(record)));
  targets.push(['undici, stored JSON', new HttpDestination('bench', options, TIMEOUT_MS)]);
  targets.push(['floor: bare dispatch', new FloorDestination(`${receiver.url}/webhooks`, pool)]);
  const poolOf = (name: string) => (name === 'undici, stored JSON' ? stored : pool);
  // Warm-up: JIT, connection pools.
  for (const [name, destination] of targets) await drive(destination, poolOf(name), 3000);

  console.log(
    `HTTP destination, ${DELIVERIES} deliveries per run at concurrency ${CONCURRENCY}, ` +
      `client CPU per delivery (receiver in another process)`,
  );
  const results = new Map<string, Measured[]>(targets.map(([name]) => [name, []]));
  let expected = await received(receiver.url);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, destination] of targets) {
      const m = await measure(destination, poolOf(name));
      expected += DELIVERIES;
      results.get(name)!.push(m);
      console.log(
        `  round ${round}  ${name.padEnd(22)} ${m.cpuUs.toFixed(1).padStart(7)} µs CPU  ${Math.round(
          m.perSecond,
        )
          .toLocaleString('en')
          .padStart(7)}/s`,
      );
    }
  }
  const got = await received(receiver.url);
  if (got !== expected) throw new Error(`receiver took ${got} deliveries, expected ${expected}`);
  const [withFetch, withNodeHttp, current, withStored, floor] = targets.map(([name]) => results.get(name)!);
  const ratios = (base: Measured[]) =>
    base.map((o, i) => `${(current![i]!.cpuUs / o.cpuUs).toFixed(2)}×`).join(', ');
  console.log(`  undici / fetch CPU per delivery, per round: ${ratios(withFetch!)}`);
  console.log(`  undici / node:http CPU per delivery, per round: ${ratios(withNodeHttp!)}`);
  console.log(
    `  undici with stored JSON / floor CPU per delivery, per round: ${floor!
      .map((o, i) => `${(withStored![i]!.cpuUs / o.cpuUs).toFixed(2)}×`)
      .join(', ')}`,
  );
  console.log(`  every delivery reached the receiver: ${got}`);
  for (const [, destination] of targets) await destination.close();
} finally {
  await stop(receiver.child);
  rmSync(dir, { recursive: true, force: true });
}
