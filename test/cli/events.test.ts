import t from 'tap';
import type { EventDetail, EventPage, ReplayResult } from '../../src/events/history.js';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { cliFixture } from './fixture.js';
import { runCli } from './run.js';

t.test('hookgate events show/replay', async (t) => {
  const a = await startHttpReceiver();
  const b = await startHttpReceiver({ fallback: { status: 500 } });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const raw = {
    sources: { stripe: { routes: [{ to: 'a' }, { to: 'b' }] } },
    destinations: {
      a: { type: 'http', url: a.url },
      b: { type: 'http', url: b.url, retry: { attempts: 2 } },
    },
  };
  const { file, h } = cliFixture(t, raw, 'cli-events');
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  await waitFor('settled', async () => (await h.events.get(record.id))?.status === 'failed');
  const cli = (...args: string[]) => runCli([...args, '--config', file]);

  await t.test('show', async (t) => {
    const human = await cli('events', 'show', record.id);
    t.equal(human.code, 0, human.stderr);
    t.match(human.stdout, `id:           ${record.id}`);
    t.match(human.stdout, 'status:       failed');
    t.match(human.stdout, `- ${deliveryId(record.id, 'a')}  a  delivered`);
    t.match(human.stdout, `- ${deliveryId(record.id, 'b')}  b  failed (dead letter)`);
    t.match(human.stdout, /\s+2\s+\S+\s+\d+ms\s+dead_letter\s+POST .* answered 500/);
    const json = JSON.parse((await cli('events', 'show', record.id, '--json')).stdout) as EventDetail;
    t.same(json.envelope, record);
    t.same(
      json.deliveries.map((d) => [d.destination, d.status, d.attempts.length]),
      [
        ['a', 'delivered', 1],
        ['b', 'failed', 2],
      ],
    );
    const missing = await cli('events', 'show', '01NOSUCHEVENT0000000000000');
    t.equal(missing.code, 1);
    t.match(missing.stderr, /^hookgate: no event 01NOSUCHEVENT0000000000000/);
  });

  await t.test('replay to one destination keeps the event id', async (t) => {
    b.setFallback({ status: 200 });
    const before = b.requests.length;
    const r = await cli('events', 'replay', record.id, '--destination', 'b', '--json');
    t.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as ReplayResult;
    t.equal(result.deliveries.length, 1);
    t.match(result.deliveries[0], new RegExp(`^${record.id}~b~replay-`));
    const got = (await b.waitForRequests(before + 1))[before]!;
    t.equal((JSON.parse(got.body.toString()) as Envelope).id, record.id);
    const shown = await waitFor('replay delivered', async () => {
      const e = JSON.parse((await cli('events', 'show', record.id, '--json')).stdout) as EventDetail;
      return e.deliveries.find((d) => d.id === result.deliveries[0])?.status === 'delivered' && e;
    });
    t.equal(shown.deliveries.length, 3);
  });

  await t.test('replay to every route; usage and missing events', async (t) => {
    const before = a.requests.length;
    const r = await cli('events', 'replay', record.id);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, `replaying event ${record.id}:`);
    await a.waitForRequests(before + 1);
    const bad = await cli('events', 'replay', record.id, '--destination', 'ghost');
    t.equal(bad.code, 2);
    t.equal(bad.stderr, 'hookgate: --destination: unknown destination "ghost"\n');
    t.equal((await cli('events', 'replay', '01NOSUCHEVENT0000000000000')).code, 1);
  });
});

t.test('events show: an event no worker has routed yet is not said to match no route', async (t) => {
  const raw = {
    sources: { stripe: { routes: [{ to: 'a' }] } },
    destinations: { a: { type: 'http', url: 'http://127.0.0.1:9/never' } },
  };
  const { file, h } = cliFixture(t, raw, 'cli-events-unrouted');
  const record = sampleRecord();
  await h.publish(record);
  const shown = await runCli(['events', 'show', record.id, '--config', file]);
  t.equal(shown.code, 0, shown.stderr);
  t.match(shown.stdout, 'status:       pending');
  t.match(shown.stdout, '(none yet: not routed by a worker)');
  t.notMatch(shown.stdout, 'no route matched');
});

t.test('hookgate events list: pages like dlq list', async (t) => {
  const raw = {
    sources: { stripe: { routes: [{ to: 'a' }] }, github: { routes: [{ to: 'a' }] } },
    destinations: { a: { type: 'http', url: 'http://127.0.0.1:9/never' } },
  };
  const { file, h } = cliFixture(t, raw, 'cli-events-list');
  // Not routed (no worker): waiting events are listed too.
  const [first, other, last] = [sampleRecord(), sampleRecord({ source: 'github' }), sampleRecord()];
  for (const r of [first, other, last]) await h.publish(r);
  const cli = (...args: string[]) => runCli(['events', 'list', ...args, '--config', file]);

  // Independent reads run side by side: each is a process start on a shared machine.
  const [human, full, json, stripe, bad, badLimit] = await Promise.all([
    cli('--limit', '2'),
    cli(),
    cli('--json', '--limit', '2'),
    cli('--json', '--source', 'stripe'),
    cli('--cursor', 'not-a-cursor'),
    cli('--limit', '1001'),
  ]);
  t.equal(human.code, 0, human.stderr);
  const lines = human.stdout.trim().split('\n');
  t.match(lines[0], /^ID\s+SOURCE\s+TYPE\s+RECEIVED AT\s+STATUS$/);
  t.match(lines[1], new RegExp(`^${last.id}\\s+stripe\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\s+pending$`));
  t.match(lines[1], last.timestamp, 'received at: the record timestamp');
  t.match(lines[2], new RegExp(`^${other.id}\\s+github\\s`));
  t.equal(lines.length, 3);
  const page = JSON.parse(json.stdout) as EventPage;
  t.same(
    page.items.map((e) => e.id),
    [last.id, other.id],
  );
  t.ok(page.nextCursor);
  t.equal(
    human.stderr,
    `more: hookgate events list --config ${file} --limit 2 --cursor ${page.nextCursor}\n`,
    'the same list, next page, as a command to run',
  );
  t.equal(full.stderr, '', 'no more line on the last page');
  t.equal(full.stdout.trim().split('\n').length, 4);

  const rest = await cli('--json', '--limit', '2', '--cursor', page.nextCursor!);
  t.equal(rest.code, 0, rest.stderr);
  const restPage = JSON.parse(rest.stdout) as EventPage;
  t.same(
    { ...restPage, items: restPage.items.map((e) => ({ ...e, receivedAt: undefined })) },
    {
      items: [
        {
          id: first.id,
          source: 'stripe',
          dedupeKey: first.requestContext.dedupeKey,
          receivedAt: undefined,
          status: 'pending',
        },
      ],
      nextCursor: null,
    },
  );
  t.equal(restPage.items[0]?.receivedAt, first.timestamp, 'receivedAt: the record timestamp');
  t.same(
    (JSON.parse(stripe.stdout) as EventPage).items.map((e) => e.id),
    [last.id, first.id],
  );

  for (const r of [bad, badLimit]) {
    t.equal(r.code, 2);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  t.equal(bad.stderr, 'hookgate: --cursor: not a cursor printed by events list\n');
});
