import t from 'tap';
import Fastify from 'fastify';
import { installAdminErrorHandler } from '../../src/admin/errors.js';
import { RedisUnavailableError } from '../../src/queue/delivery-queues.js';

/** The admin API tells errors apart by class: a name is only a string anyone can set. */
t.test('Redis being away is recognised by its class, not by its name', async (t) => {
  const app = Fastify({ logger: false });
  installAdminErrorHandler(app);
  app.get('/away', () => {
    throw new RedisUnavailableError('127.0.0.1:1');
  });
  app.get('/named', () => {
    throw Object.assign(new Error('something else'), { name: 'RedisUnavailableError' });
  });
  t.teardown(() => app.close());

  const away = await app.inject('/away');
  t.equal(away.statusCode, 503);
  t.equal(away.headers['retry-after'], '5');
  t.same(away.json(), {
    error: { code: 'STORE_UNAVAILABLE', message: 'Redis is not reachable; retry later.' },
  });

  const named = await app.inject('/named');
  t.equal(named.statusCode, 500, 'another error that merely carries the name is not a Redis outage');
  t.same(named.json(), { error: { code: 'INTERNAL', message: 'Internal error.' } });
});
