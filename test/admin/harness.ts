import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { buildAdmin } from '../../src/admin/app.js';
import { createLogger } from '../../src/log.js';
import { harness as workerHarness, testConfig, withEventLog, type Harness } from '../worker/harness.js';

export const TOKEN = 'admin-token-for-tests-0123456789';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export interface AdminHarness extends Harness {
  app: FastifyInstance;
  /** A request with the admin token. */
  call(method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

/**
 * The admin app over real queues and stores on a fresh Redis prefix (worker/harness),
 * with `admin.token` set; `raw` is the config as a user writes it.
 */
export async function adminHarness(
  t: Test,
  raw: Record<string, unknown>,
  label = 'admin',
  options: { now?: () => number; eventLog?: boolean | string } = {},
): Promise<AdminHarness> {
  const { eventLog, ...deps } = options;
  const plain = testConfig({ ...raw, admin: { token: TOKEN, host: '127.0.0.1', port: 0 } }, label);
  const config = eventLog
    ? withEventLog(plain, label, typeof eventLog === 'string' ? eventLog : undefined)
    : plain;
  const h = workerHarness(t, config);
  const app = await buildAdmin({
    config,
    logger: createLogger('silent'),
    metrics: h.metrics,
    deadLetters: h.store,
    events: h.events,
    queues: h.queues,
    ...(h.log ? { eventLog: h.log } : {}),
    ...deps,
  });
  t.teardown(() => app.close());
  return {
    ...h,
    app,
    call(method, url, body) {
      return app.inject({
        method,
        url,
        headers: AUTH,
        ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
      });
    },
  };
}
