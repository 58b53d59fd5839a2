import t from 'tap';
import type { EventSummary } from '../../src/events/history.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness } from './harness.js';

for (const eventLog of [false, true])
  t.test(
    `GET /admin/events filters: source, type, status, since, until, q; cursor pages stable under new events (${eventLog ? 'event log on PostgreSQL' : 'Redis only'})`,
    async (t) => {
      const rx = await startHttpReceiver({ fallback: { status: 204 } });
      const refusing = await startHttpReceiver({ fallback: { status: 400 } });
      t.teardown(() => Promise.all([rx.close(), refusing.close()]));
      const h = await adminHarness(
        t,
        {
          sources: {
            stripe: {
              routes: [
                { to: 'ok', filter: { 'body.type': { $ne: 'ignored' } } },
                { to: 'bad', filter: { 'body.type': 'charge.failed' } },
              ],
            },
            github: { routes: [{ to: 'ok' }] },
          },
          destinations: {
            ok: { type: 'http', url: rx.url },
            bad: { type: 'http', url: refusing.url, retry: { attempts: 1 } },
          },
        },
        'filters',
        { eventLog },
      );
      const stripe = (type: string, text = '') =>
        sampleRecord({ body: JSON.stringify({ id: `evt_${type}_${Math.random()}`, type, note: text }) });
      const paid = stripe('invoice.paid', 'needle-in-body');
      const failed = stripe('charge.failed');
      const ignored = stripe('ignored');
      const gh = sampleRecord({ source: 'github', body: '{"action":"opened"}' });
      const t0 = Date.now();
      for (const [r, type, key] of [
        [paid, 'invoice.paid', 'evt_paid_key'],
        [failed, 'charge.failed', undefined],
        [ignored, 'ignored', undefined],
        [gh, 'pull_request.opened', undefined],
      ] as const) {
        // As the ingress makes them: the type (and dedupe key) in the record and in the intake's index.
        (r.requestContext as { eventType?: string }).eventType = type;
        if (key) r.requestContext.dedupeKey = key;
        await h.intake.accept(r, { source: r.source, eventType: type, ...(key ? { dedupeKey: key } : {}) });
      }
      // The `bad` destination answers 400 for charge.failed: a dead letter.
      const worker = h.startWorker();
      t.teardown(() => worker.close(1000));
      await waitFor('settled', async () => {
        const page = (await h.call('GET', '/admin/events')).json<{ items: EventSummary[] }>();
        return page.items.length === 4 && page.items.every((e) => e.status !== 'pending');
      });
      const ids = async (qs: string) => {
        const res = await h.call('GET', `/admin/events?${qs}`);
        t.equal(res.statusCode, 200, qs);
        return res.json<{ items: EventSummary[] }>().items.map((e) => e.id);
      };
      t.same(await ids('source=github'), [gh.id]);
      t.same(await ids('type=invoice.paid'), [paid.id]);
      t.same(await ids('status=unrouted'), [ignored.id]);
      t.same(await ids('q=evt_paid_key'), [paid.id], 'q matches the dedupe key');
      t.same(await ids(`q=${gh.id}`), [gh.id], 'q matches the event id');
      t.same(await ids('q=NEEDLE-in-body'), [paid.id], 'q matches text in the body');
      t.same(await ids(`since=${t0 - 60_000}&source=github`), [gh.id]);
      t.same(await ids(`until=${t0 - 60_000}`), [], 'until before everything: nothing');
      t.same(await ids('since=1h&type=charge.failed'), [failed.id], 'a duration means that long ago');
      const statuses = (await h.call('GET', '/admin/events')).json<{ items: EventSummary[] }>();
      t.same(Object.fromEntries(statuses.items.map((e) => [e.id, e.status])), {
        [paid.id]: 'delivered',
        [failed.id]: 'failed',
        [ignored.id]: 'unrouted',
        [gh.id]: 'delivered',
      });
      const bad = await h.call('GET', '/admin/events?status=lost');
      t.equal(bad.statusCode, 400);
      t.match(bad.json(), {
        error: { code: 'BAD_REQUEST', message: /status must be one of pending, delivered, failed, unrouted/ },
      });
      t.equal((await h.call('GET', '/admin/events?until=yesterday-ish')).statusCode, 400);

      // Pages of 2 while new events arrive: the walk continues where it stopped, nothing twice, nothing skipped.
      const first = (await h.call('GET', '/admin/events?limit=2')).json<{
        items: EventSummary[];
        nextCursor: string;
      }>();
      for (let i = 0; i < 3; i++) await h.intake.accept(stripe('invoice.paid'), { source: 'stripe' });
      const second = (await h.call('GET', `/admin/events?limit=2&cursor=${first.nextCursor}`)).json<{
        items: EventSummary[];
        nextCursor: string | null;
      }>();
      t.same(
        [...first.items, ...second.items].map((e) => e.id),
        [gh.id, ignored.id, failed.id, paid.id],
        'newest first, the events that arrived meanwhile not mixed in',
      );
      t.equal(second.nextCursor, null);
    },
  );
