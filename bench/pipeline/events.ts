import Stripe from 'stripe';

/**
 * The bench's Stripe traffic: 200 distinct event shapes (types, objects, line items,
 * metadata), 1–3 KB each once serialised, and a fresh `evt_` id on every request.
 *
 * Every request is a NEW event: hookgate dedupes on the Stripe id and the hand-written
 * baseline uses it as the BullMQ job id, so re-sending one of 200 ids would measure the
 * duplicate path instead of the pipeline. The 200 shapes cycle; the ids never repeat.
 */
export const SHAPES = 200;
const TYPES = [
  'invoice.paid',
  'invoice.payment_failed',
  'payment_intent.succeeded',
  'charge.succeeded',
  'customer.subscription.updated',
  'checkout.session.completed',
] as const;

/** A small deterministic PRNG, so every run sends the same shapes. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The serialised event after its `{"id":"…",` head, so an id is prepended by concatenation. */
function shapeTail(i: number): string {
  const rnd = prng(i + 1);
  const target = 1024 + Math.floor(rnd() * 1900);
  const type = TYPES[i % TYPES.length]!;
  const word = () => Math.floor(rnd() * 36 ** 8).toString(36);
  const lines: unknown[] = [];
  const object: Record<string, unknown> = {
    id: `in_${word()}${word()}`,
    object: type.split('.')[0],
    amount_paid: Math.floor(rnd() * 100_000),
    currency: 'usd',
    customer: `cus_${word()}`,
    customer_email: `${word()}@example.com`,
    status: 'paid',
    metadata: { order: word(), plan: ['basic', 'pro', 'team'][i % 3] },
    lines: { object: 'list', data: lines, has_more: false },
  };
  const event = {
    object: 'event',
    api_version: '2024-06-20',
    created: 1_764_633_600 + i,
    data: { object },
    livemode: false,
    pending_webhooks: 2,
    request: { id: `req_${word()}`, idempotency_key: null },
    type,
  };
  // Line items until the event reaches its target size (1–3 KB with the id).
  for (;;) {
    // + the `"id":"evt_…",` head, about 30 bytes
    if (JSON.stringify(event).length + 30 >= target) break;
    lines.push({
      id: `il_${word()}${word()}`,
      amount: Math.floor(rnd() * 10_000),
      description: `1 × ${word()} ${word()}`,
      period: { start: 1_764_633_600, end: 1_767_312_000 },
    });
  }
  return JSON.stringify(event).slice(1);
}

const TAILS = Array.from({ length: SHAPES }, (_, i) => shapeTail(i));
const stripe = new Stripe('sk_test_hookgate_bench');

export interface SignedEvent {
  id: string;
  body: string;
  signature: string;
}

/** Signed Stripe events with ids `evt_pl<run>_<n>`, n counting up from 0. */
export class EventSource {
  private n = 0;
  readonly run = `pl${Date.now().toString(36)}${process.pid.toString(36)}`;
  constructor(private readonly secret: string) {}

  next(): SignedEvent {
    const n = this.n++;
    const id = `evt_${this.run}_${n}`;
    const body = `{"id":"${id}",${TAILS[n % SHAPES]}`;
    // Signed when sent, as Stripe does: a pre-signed pool would age past the tolerance in a long run.
    const signature = stripe.webhooks.generateTestHeaderString({ payload: body, secret: this.secret });
    return { id, body, signature };
  }
}
