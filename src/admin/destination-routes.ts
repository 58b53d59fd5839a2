import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { destinationControls, listDestinations } from '../queue/controls.js';
import type { Store } from '../queue/delivery-queues.js';
import { adminErrors } from './errors.js';

interface NameParams {
  name: string;
}

/**
 * `/admin/destinations`: each destination's state and counters, and pause/resume,
 * the same calls `hookgate destinations` makes. Pause and resume answer with the
 * destination as it is afterwards.
 */
export function registerDestinationRoutes(app: FastifyInstance, store: Store, config: Config): void {
  const controls = destinationControls(store);
  const one = async (name: string) => (await listDestinations(store, config)).find((d) => d.name === name);
  const known = (name: string) => {
    if (!Object.hasOwn(config.destinations, name)) throw adminErrors.destinationNotFound(name);
  };

  app.get('/admin/destinations', async () => ({ items: await listDestinations(store, config) }));

  app.get<{ Params: NameParams }>('/admin/destinations/:name', async (req) => {
    known(req.params.name);
    return one(req.params.name);
  });

  app.post<{ Params: NameParams }>('/admin/destinations/:name/pause', async (req) => {
    known(req.params.name);
    await controls.pause(req.params.name);
    req.log.info({ destination: req.params.name }, 'destination paused');
    return one(req.params.name);
  });

  app.post<{ Params: NameParams }>('/admin/destinations/:name/resume', async (req) => {
    known(req.params.name);
    await controls.resume(req.params.name);
    req.log.info({ destination: req.params.name }, 'destination resumed');
    return one(req.params.name);
  });
}
