import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';
import type { IntakeWriter } from '../queue/intake-writer.js';

/** `/healthz`: the process answers. `/readyz`: Redis answers too (else 503, take it out of rotation). */
export function registerHealthRoutes(app: FastifyInstance, intakeWriter: IntakeWriter): void {
  app.get('/healthz', { config: { probe: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { config: { probe: true } }, async (_req, reply) => {
    if (await intakeWriter.ping()) return { status: 'ready' };
    const e = errors.notReady();
    return reply.code(503).headers(e.headers).send(e.toJSON());
  });
}
