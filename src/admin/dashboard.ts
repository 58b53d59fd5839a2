import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';
import type { Store } from '../queue/delivery-queues.js';
import { requireBearerOrSession, SESSION_PATH } from './auth.js';
import { sendError } from './errors.js';

export interface DashboardOptions {
  /** `admin.dashboard.readOnly` (default true). */
  readOnly: boolean;
}

/**
 * bull-board at `/admin/queues` over each destination's queue, in its own
 * encapsulated scope so the session cookie counts here and nowhere else.
 *
 * Read-only by default. Its writes bypass hookgate: "Clean all", "Empty" and
 * "Obliterate" on a destination queue delete its dead letters with one confirm, and
 * "Retry" re-runs a BullMQ job without the attempt history a replay writes (on a
 * completed event it answers 204 and delivers nothing). Replays belong to
 * `hookgate dlq|events replay` and the admin API. bull-board's own read-only mode hides
 * the controls and refuses its per-queue writes; every other method on the dashboard is
 * refused here as well, so a bull-board route that forgets the check (its "pause all"
 * only skips read-only queues) still cannot write.
 */
export async function registerDashboard(
  app: FastifyInstance,
  token: string,
  queues: Store,
  destinations: readonly string[],
  options: DashboardOptions = { readOnly: true },
): Promise<void> {
  const { readOnly } = options;
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(SESSION_PATH);
  createBullBoard({
    queues: destinations.map(
      (d) =>
        new BullMQAdapter(queues.queue(d), {
          description: `deliveries to ${d} that wait or retry; the failed set is its dead-letter store`,
          readOnlyMode: readOnly,
        }),
    ),
    // @bull-board/fastify pins its own copy of @bull-board/api (one patch release
    // apart): the same interface at runtime, two declarations to the type checker.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: {
      uiConfig: {
        boardTitle: 'hookgate',
        miscLinks: [{ text: 'Sign out', url: '/admin/logout' }],
      },
    },
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', requireBearerOrSession(token));
    if (readOnly) {
      scope.addHook('onRequest', async (req, reply) => {
        if (req.method !== 'GET' && req.method !== 'HEAD')
          return sendError(reply, errors.dashboardReadOnly());
      });
    }
    await scope.register(serverAdapter.registerPlugin(), { prefix: SESSION_PATH });
  });
}
