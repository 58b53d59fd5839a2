import t from 'tap';
import { ingress, STRIPE_SECRET, stripeSignature } from './harness.js';

/** A provider re-sending an event is worth a line at the default level: it explains a 2xx that enqueued nothing. */
for (const ack of ['durable', 'immediate'] as const) {
  t.test(`ack: ${ack}: a duplicate is logged at info, with the original event id`, async (t) => {
    const h = await ingress(t, {
      sources: { stripe: { ack, verify: { type: 'stripe', secrets: [STRIPE_SECRET] } } },
    });
    const body = JSON.stringify({ id: 'evt_dup_log', type: 'invoice.paid' });
    const send = () =>
      h.app.inject({
        method: 'POST',
        url: '/hooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body) },
        payload: body,
      });
    const first = await send();
    t.equal(first.statusCode, 204);
    const original = first.headers['hookgate-event-id'];
    // immediate mode stores in the background: the first write must land before the re-send.
    while ((await h.stored()).length === 0) await new Promise((r) => setTimeout(r, 10));
    t.equal((await send()).statusCode, 204);
    let line: Record<string, unknown> | undefined;
    while (!line) {
      line = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'duplicate');
      if (!line) await new Promise((r) => setTimeout(r, 10));
    }
    t.match(line, { level: 30, source: 'stripe', eventId: original, dedupeKey: 'evt_dup_log' });
    t.equal((await h.stored()).length, 1, 'stored once');
  });
}
