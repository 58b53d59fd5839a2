/**
 * The hand-written baseline's ingress, as a user would write it in an afternoon from
 * Stripe's docs: Express, `stripe.webhooks.constructEvent`, then BullMQ `queue.add`
 * (the Stripe id as job id, so a re-sent event is not queued twice) before answering.
 *
 *   PORT, REDIS_URL, PREFIX, STRIPE_WEBHOOK_SECRET
 */
import express from 'express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import Stripe from 'stripe';

const stripe = new Stripe('sk_test_handwritten');
const secret = process.env.STRIPE_WEBHOOK_SECRET!;
const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
const queue = new Queue('stripe-events', {
  connection,
  prefix: process.env.PREFIX,
  defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
});

const app = express();
app.get('/healthz', (_req, res) => res.json({ ok: true }));
app.post('/hooks/stripe', express.raw({ type: 'application/json' }), async (req, res) => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'] ?? '', secret);
  } catch {
    return res.status(400).send('bad signature');
  }
  try {
    await queue.add(event.type, event, { jobId: event.id });
  } catch {
    return res.status(503).send('try again');
  }
  res.json({ received: true });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void queue.close().then(() => connection.quit().then(() => process.exit(0)));
});
