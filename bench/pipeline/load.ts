/**
 * The pipeline bench's load and its check, shared with bench/partitions: the receiver
 * process (receiver.ts), the Stripe-signed load from autocannon (one request in flight
 * per connection, each 2xx's time and `hookgate-event-id` kept) and the drain (until
 * every 2xx'd event has reached every route).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request } from 'autocannon';
import type { EventSource } from './events.js';
import { spawnTracked } from './processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');

/** A numeric BENCH_* setting from the environment (the fallback when unset), refused when not a number. */
export function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw}: not a number`);
  return value;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitHealthy(base: string, child: ChildProcess, what: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited`);
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    if (Date.now() > until) throw new Error(`${what} did not answer /healthz`);
    await sleep(100);
  }
}

export interface Receiver {
  child: ChildProcess;
  url: string;
  call<T>(path: string, body?: unknown): Promise<T>;
}

export async function startReceiver(): Promise<Receiver> {
  const child = spawnTracked(process.execPath, [join(DIST, 'bench/pipeline/receiver.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (l) => {
      lines.close();
      resolve(l);
    });
    child.once('exit', () => reject(new Error('the receiver exited')));
  });
  child.stdout!.resume();
  const url = (JSON.parse(line) as { url: string }).url;
  return {
    child,
    url,
    async call<T>(path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`receiver ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
  };
}

export interface Sent {
  /** Event id -> when its 2xx was read (ms since epoch). */
  ok: Map<string, number>;
  /** hookgate's event id (`hookgate-event-id` of the 2xx) -> the Stripe event id sent. */
  hookgateIds: Map<string, string>;
  non2xx: number;
  errors: number;
  startedAt: number;
  endedAt: number;
}

export async function send(
  origin: string,
  events: EventSource,
  load: { duration?: number; amount?: number; connections: number },
): Promise<Sent> {
  const ok = new Map<string, number>();
  const hookgateIds = new Map<string, string>();
  let non2xx = 0;
  // One request in flight per connection (no pipelining): the connection's context
  // belongs to the request its response answers.
  const request: Request = {
    setupRequest: (_req, context) => {
      const e = events.next();
      context.id = e.id;
      return {
        method: 'POST',
        path: '/hooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
        body: e.body,
      };
    },
    onResponse: (status, _body, context, headers) => {
      if (status >= 200 && status < 300) {
        ok.set(context.id as string, Date.now());
        const hg = headers['hookgate-event-id'];
        if (typeof hg === 'string') hookgateIds.set(hg, context.id as string);
      } else non2xx++;
    },
  };
  const startedAt = Date.now();
  const r = await autocannon({
    url: origin,
    connections: load.connections,
    ...(load.duration ? { duration: load.duration } : {}),
    ...(load.amount ? { amount: load.amount } : {}),
    requests: [request],
  });
  return { ok, hookgateIds, non2xx, errors: r.errors + r.timeouts, startedAt, endedAt: Date.now() };
}

export interface Progress {
  missing: Record<string, number>;
  last: number;
  requests: Record<string, number>;
}

/** Waits until every id reached every route, or the timeout; true when they all did. */
export async function drain(
  receiver: Receiver,
  ids: string[],
  routes: string[],
  timeoutMs: number,
): Promise<boolean> {
  await receiver.call('/_expect', { ids, routes });
  const until = Date.now() + timeoutMs;
  for (;;) {
    const p = await receiver.call<Progress>('/_progress');
    if (Object.values(p.missing).every((n) => n === 0)) return true;
    if (Date.now() > until) return false;
    await sleep(250);
  }
}
