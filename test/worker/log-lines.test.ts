import t, { type Test } from 'tap';
import { createLogger } from '../../src/log.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { sampleRecord } from '../destinations/record.js';
import { harness, testConfig, waitFor } from './harness.js';

interface Line {
  level: number;
  msg: string;
  destination?: string;
  eventId?: string;
  attempt?: number;
}

/** A worker logging at `level` into memory; one event to `ok` (204) and to `flaky` (500, then 204). */
async function run(t: Test, level: 'info' | 'debug'): Promise<Line[]> {
  const ok = await startHttpReceiver({ fallback: { status: 204 } });
  const flaky = await startHttpReceiver({ fallback: { status: 204 } });
  flaky.reply({ status: 500 });
  t.teardown(() => Promise.all([ok.close(), flaky.close()]));
  const h = harness(
    t,
    testConfig({
      sources: { stripe: { routes: [{ to: 'ok' }, { to: 'flaky' }] } },
      destinations: { ok: { type: 'http', url: ok.url }, flaky: { type: 'http', url: flaky.url } },
    }),
  );
  const lines: Line[] = [];
  const logger = createLogger(
    level,
    {},
    { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  );
  h.startWorker({ logger });
  const record = sampleRecord();
  await h.publish(record);
  await waitFor('both delivered', async () => {
    const e = await h.events.get(record.id);
    return e?.deliveries.length === 2 && e.deliveries.every((d) => d.status === 'delivered');
  });
  t.equal(flaky.requests.length, 2, 'the flaky destination was tried twice');
  return lines.filter((l) => l.eventId === record.id);
}

t.test('at info the worker logs a retry, not each success', async (t) => {
  const lines = await run(t, 'info');
  t.same(
    lines.map((l) => [l.msg, l.destination, l.attempt]),
    [['delivery will retry', 'flaky', 1]],
  );
  t.equal(lines[0]!.level, 30);
});

t.test('at debug each success has its line too', async (t) => {
  const lines = await run(t, 'debug');
  const delivered = lines
    .filter((l) => l.msg === 'delivered')
    .map((l) => [l.destination, l.attempt, l.level]);
  t.same(delivered.sort(), [
    ['flaky', 2, 20],
    ['ok', 1, 20],
  ]);
  t.ok(lines.some((l) => l.msg === 'delivery will retry'));
});
