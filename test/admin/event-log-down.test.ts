import t from 'tap';
import { sampleRecord } from '../destinations/record.js';
import { freePort } from '../helpers/redis-server.js';
import { adminHarness } from './harness.js';

t.test(
  'PostgreSQL away: reads that need the log answer 503 EVENT_LOG_UNAVAILABLE; Redis still answers for what it has',
  async (t) => {
    const port = await freePort(); // nothing listens there
    const h = await adminHarness(t, { sources: { stripe: { routes: [] } } }, 'logdown', {
      eventLog: `postgres://hook:pgSecret@127.0.0.1:${port}/hooks`,
    });
    const r = sampleRecord({ body: '{"id":"evt_1"}' });
    await h.publish(r);
    const list = await h.call('GET', '/admin/events');
    t.equal(list.statusCode, 503);
    t.equal(list.headers['retry-after'], '5');
    t.same(list.json(), {
      error: {
        code: 'EVENT_LOG_UNAVAILABLE',
        message: 'The event log (PostgreSQL) is not reachable; retry later.',
      },
    });
    t.notMatch(list.body, 'pgSecret', 'no password in the answer');
    const inRedis = await h.call('GET', `/admin/events/${r.id}`);
    t.equal(inRedis.statusCode, 200, 'an event Redis still has is found without the log');
    const missing = await h.call('GET', '/admin/events/01M8VN8Z4VW2YHZ4DMD7QG7SHS');
    t.equal(missing.statusCode, 503, 'one Redis does not have needs the log');
  },
);

t.test(
  'hookgate_event_log_lag_seconds: with an event log only, the age of the oldest unwritten state',
  async (t) => {
    const port = await freePort();
    const logged = await adminHarness(t, { sources: { stripe: { routes: [] } } }, 'laglog', {
      eventLog: `postgres://hook@127.0.0.1:${port}/hooks`,
    });
    const lagOf = async () => {
      const text = (await logged.call('GET', '/metrics')).body;
      const m = /^hookgate_event_log_lag_seconds (\S+)$/m.exec(text);
      return m ? Number(m[1]) : undefined;
    };
    t.equal(await lagOf(), 0, 'caught up: 0');
    // A state change the writer has not written (no worker runs here, PostgreSQL is away).
    await logged.queues.redis.xadd(
      logged.queues.partitions[0]!.keys.log,
      `${Date.now() - 30_000}-0`,
      'i',
      'x',
    );
    const lag = await lagOf();
    t.ok(lag !== undefined && lag >= 29 && lag < 60, `the oldest entry's age: ${lag}`);

    const plain = await adminHarness(t, { sources: { stripe: { routes: [] } } }, 'lagplain');
    const text = (await plain.call('GET', '/metrics')).body;
    t.notMatch(text, 'hookgate_event_log_lag_seconds', 'no such series without an event log');
  },
);
