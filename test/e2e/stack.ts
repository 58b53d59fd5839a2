import type { Test } from 'tap';
import { writeConfig } from '../cli/run.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { freePort } from '../helpers/redis-server.js';
import { FAST_RETRY } from '../worker/harness.js';

export interface StripeStack {
  /** Answers 200: where deliveries land. */
  ok: HttpReceiver;
  /** Answers 500: its deliveries become dead letters. */
  failing: HttpReceiver;
  port: number;
  adminPort: number;
  /** The config file, removed at teardown. */
  file: string;
}

/**
 * The gateway the Redis-variant end-to-end tests (cluster, TLS, both) run against one
 * Redis setup each: a Stripe source routed to a healthy and a failing local receiver,
 * the admin API on, fast retries, on free ports.
 */
export async function stripeStack(
  t: Test,
  options: {
    redis: Record<string, unknown>;
    secret: string;
    token: string;
    server?: Record<string, unknown>;
    rateLimit?: { max: number; window: string };
  },
): Promise<StripeStack> {
  const [ok, failing, port, adminPort] = await Promise.all([
    startHttpReceiver(),
    startHttpReceiver({ fallback: { status: 500, body: 'down for maintenance' } }),
    freePort(),
    freePort(),
  ]);
  t.teardown(() => Promise.all([ok.close(), failing.close()]));
  const { file, cleanup } = writeConfig({
    server: { host: '127.0.0.1', port, shutdownTimeout: '2s', ...options.server },
    admin: { host: '127.0.0.1', port: adminPort, token: options.token },
    redis: options.redis,
    defaults: { retry: FAST_RETRY },
    worker: { adminPort: 0 },
    logLevel: 'info',
    sources: {
      stripe: {
        verify: { type: 'stripe', secrets: [options.secret] },
        ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
        routes: [{ to: 'ok' }, { to: 'failing' }],
      },
    },
    destinations: {
      ok: { type: 'http', url: `${ok.url}/hooks` },
      failing: { type: 'http', url: failing.url },
    },
  });
  t.teardown(cleanup);
  return { ok, failing, port, adminPort, file };
}
