import t from 'tap';
import type { DeadLetter, DeadLetterPage } from '../../src/dead-letter/store.js';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { cliFixture } from './fixture.js';
import { parseSince } from '../../src/cli/dlq.js';
import { runCli, writeConfig } from './run.js';

t.test('hookgate dlq list/show/replay/purge', async (t) => {
  const rx = await startHttpReceiver({ fallback: { status: 400, body: 'schema mismatch' } });
  t.teardown(() => rx.close());
  const raw = {
    sources: { stripe: { routes: [{ to: 'rx' }] }, github: { routes: [{ to: 'rx' }] } },
    destinations: { rx: { type: 'http', url: rx.url } },
  };
  const { file, h } = cliFixture(t, raw, 'cli-dlq');
  const worker = h.startWorker();
  const stripe = sampleRecord();
  const github = sampleRecord({ source: 'github' });
  await h.publish(stripe);
  await h.publish(github);
  await waitFor('2 dead letters', async () => (await h.store.ids()).length === 2);
  const stripeId = deliveryId(stripe.id, 'rx');
  const githubId = deliveryId(github.id, 'rx');
  const cli = (...args: string[]) => runCli([...args, '--config', file]);

  await t.test('list: table and JSON, with filters', async (t) => {
    // Independent reads run side by side: each is a process start on a shared machine.
    const [human, json, limited, none, hinted] = await Promise.all([
      cli('dlq', 'list'),
      cli('dlq', 'list', '--json', '--source', 'github'),
      cli('dlq', 'list', '--limit', '1', '--json'),
      cli('dlq', 'list', '--since', new Date(Date.now() + 60_000).toISOString()),
      cli('dlq', 'list', '--limit', '1', '--destination', 'rx', '--since', '2020-01-01 00:00:00Z'),
    ]);
    t.equal(human.code, 0, human.stderr);
    const lines = human.stdout.trim().split('\n');
    t.match(lines[0], /^ID\s+SOURCE\s+DESTINATION\s+FAILED AT\s+ATTEMPTS\s+ERROR$/);
    t.equal(lines.length, 3);
    t.match(human.stdout, stripeId);
    t.match(human.stdout, /answered 400: schema mismatch/);

    t.equal(json.code, 0, json.stderr);
    const page = JSON.parse(json.stdout) as DeadLetterPage;
    t.same(
      page.items.map((i) => i.id),
      [githubId],
    );

    const first = JSON.parse(limited.stdout) as DeadLetterPage;
    t.equal(first.items.length, 1);
    t.ok(first.nextCursor);
    const next = JSON.parse(
      (await cli('dlq', 'list', '--json', '--cursor', first.nextCursor!)).stdout,
    ) as DeadLetterPage;
    t.equal(next.items.length, 1);
    t.not(next.items[0]!.id, first.items[0]!.id);

    t.equal(none.stdout.trim(), 'no dead letters');

    // The hint is the same list's next page, filters and config kept, quoted for a shell.
    t.equal(hinted.code, 0, hinted.stderr);
    const hint =
      /^more: hookgate dlq list --config (\S+) --destination rx --since '2020-01-01 00:00:00Z' --limit 1 --cursor (\S+)\n$/.exec(
        hinted.stderr,
      );
    t.ok(hint, hinted.stderr);
    t.equal(hint?.[1], file);
  });

  await t.test('show: envelope, destination, attempts, errors', async (t) => {
    const [human, asJson, missing, byEvent, byDedupeKey] = await Promise.all([
      cli('dlq', 'show', stripeId),
      cli('dlq', 'show', stripeId, '--json'),
      cli('dlq', 'show', 'no~such'),
      cli('dlq', 'show', stripe.id, '--json'),
      cli('dlq', 'show', stripe.requestContext.dedupeKey!, '--json'),
    ]);
    t.equal(byEvent.code, 0, byEvent.stderr);
    t.equal((JSON.parse(byEvent.stdout) as DeadLetter).id, stripeId, 'an event id finds its one dead letter');
    t.equal(byDedupeKey.code, 0, byDedupeKey.stderr);
    t.equal((JSON.parse(byDedupeKey.stdout) as DeadLetter).id, stripeId, "so does the provider's id");
    t.equal(human.code, 0, human.stderr);
    t.match(human.stdout, `destination:  rx`);
    t.match(
      human.stdout,
      /attempts:\n\s+#\s+STARTED\s+TOOK\s+OUTCOME\s+ERROR\n\s+1\s+\S+\s+\d+ms\s+dead_letter\s+POST .* answered 400/,
    );
    t.match(human.stdout, `"id": "${stripe.id}"`);
    const json = JSON.parse(asJson.stdout) as DeadLetter;
    t.same(json.envelope, stripe);
    t.equal(json.attempts.length, 1);
    t.equal(missing.code, 1);
    t.equal(
      missing.stderr,
      'hookgate: no dead letter no~such (a dead-letter id is <eventId>~<destination>, as dlq list shows)\n',
    );
  });

  await t.test('replay delivers once the receiver is fixed; unknown ids fail', async (t) => {
    rx.setFallback({ status: 204 });
    const before = rx.requests.length;
    const r = await cli('dlq', 'replay', stripeId);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /replayed 1 dead letter\n\s+/);
    const [, got] = await rx.waitForRequests(before + 1).then((all) => [all, all[before]!] as const);
    t.equal((JSON.parse(got.body.toString()) as Envelope).id, stripe.id, 'same event id');
    await waitFor('delivered', async () => {
      const e = await h.events.get(stripe.id);
      return e?.deliveries.find((d) => d.id === stripeId)?.status === 'delivered';
    });
    const list = JSON.parse((await cli('dlq', 'list', '--json')).stdout) as DeadLetterPage;
    t.same(
      list.items.map((i) => i.id),
      [githubId],
    );
    const again = await cli('dlq', 'replay', stripeId);
    t.equal(again.code, 1);
    t.match(again.stderr, `not a dead letter: ${stripeId}`);
  });

  await t.test('usage errors exit 2 and change nothing', async (t) => {
    const cases = [
      ['dlq', 'replay'],
      ['dlq', 'replay', githubId, '--all'],
      ['dlq', 'replay', githubId, '--source', 'github'],
      ['dlq', 'purge', githubId],
      ['dlq', 'purge', '--all'],
      ['dlq', 'list', '--since', 'yesterday-ish'],
      ['dlq', 'list', '--limit', 'ten'],
      ['dlq', 'list', '--cursor', 'not-a-cursor'],
      ['dlq', 'list', '--destination', 'nope'],
      ['dlq', 'list', '--source', 'nope'],
      ['dlq', 'replay', '--all', '--destination', 'nope'],
      ['dlq', 'replay', '--all', '--source', 'nope'],
      ['dlq', 'purge', '--all', '--destination', 'nope', '--yes'],
    ];
    // Independent processes: run side by side, the suite shares two cores.
    const results = await Promise.all(cases.map((args) => cli(...args)));
    results.forEach((r, i) => {
      t.equal(r.code, 2, cases[i]!.join(' '));
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    });
    t.ok(await h.store.get(githubId), 'still there');
    const unknown = results.slice(-5).map((r) => r.stderr);
    t.equal(unknown[0], 'hookgate: --destination: unknown destination "nope" (configured: rx)\n');
    t.equal(unknown[1], 'hookgate: --source: unknown source "nope" (configured: stripe, github)\n');
  });

  await t.test('purge --all with filters and --yes', async (t) => {
    const wrong = await cli('dlq', 'purge', '--all', '--source', 'stripe', '--yes', '--json');
    t.same(JSON.parse(wrong.stdout), { purged: [], notFound: [] });
    const r = await cli('dlq', 'purge', '--all', '--source', 'github', '--yes');
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, `purged 1 dead letter`);
    t.equal(await h.store.get(githubId), undefined);
    t.equal(await h.queues.queue('rx').getJob(githubId), undefined, 'the job is gone from Redis');
  });

  await worker.close(2000);
});

t.test(
  'an unreachable Redis is one line and exit 1: a refused port and an unknown host each say so',
  async (t) => {
    const refused = writeConfig({ redis: { url: 'redis://127.0.0.1:1' }, logLevel: 'silent' });
    const unknown = writeConfig({ redis: { url: 'redis://no-such-host.invalid:6379' }, logLevel: 'silent' });
    t.teardown(refused.cleanup);
    t.teardown(unknown.cleanup);
    const [r, u] = await Promise.all([
      runCli(['dlq', 'list', '--config', refused.file]),
      runCli(['events', 'list', '--config', unknown.file]),
    ]);
    t.equal(r.code, 1);
    t.equal(r.stderr, 'hookgate: Redis at 127.0.0.1:1 refused the connection: is it running? (redis.url)\n');
    t.equal(u.code, 1);
    t.equal(
      u.stderr,
      'hookgate: cannot resolve host "no-such-host.invalid" (redis.url): no such host, or no DNS answer\n',
    );
  },
);

t.test('--since reads an ISO time, epoch ms (as the admin API) or a duration ago', async (t) => {
  const now = Date.parse('2026-11-27T10:00:00Z');
  t.equal(parseSince('2026-11-27T09:00:00Z', now), now - 3_600_000);
  t.equal(parseSince(String(now - 5000), now), now - 5000, 'epoch milliseconds');
  t.equal(parseSince('30m', now), now - 1_800_000);
  t.equal(parseSince('2d', now), now - 172_800_000);
  t.equal(parseSince(undefined, now), undefined);
  t.throws(() => parseSince('yesterday', now), /--since/);
});
