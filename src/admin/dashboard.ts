import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../queue/delivery-queues.js';
import { requireBearerOrSession, SESSION_PATH } from './auth.js';

/**
 * bull-board at `/admin/queues` over each destination's queue, in its own
 * encapsulated scope so the session cookie counts here and nowhere else. Not read-only:
 * its "retry" on a failed delivery is the same BullMQ retry as `dlq replay`.
 */
export async function registerDashboard(
  app: FastifyInstance,
  token: string,
  queues: Store,
  destinations: readonly string[],
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(SESSION_PATH);
  createBullBoard({
    queues: destinations.map(
      (d) =>
        new BullMQAdapter(queues.queue(d), {
          description: `deliveries to ${d} that wait or retry; the failed set is its dead-letter store`,
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
    await scope.register(serverAdapter.registerPlugin(), { prefix: SESSION_PATH });
  });
}
