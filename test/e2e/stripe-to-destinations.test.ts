import t from 'tap';
import Stripe from 'stripe';
import type { DeadLetterPage } from '../../src/dead-letter/store.js';
import type { Envelope } from '../../src/record/envelope.js';
import { deliveryId } from '../../src/queue/ids.js';
import { runCli, startCli, writeConfig, type RunningCli } from '../cli/run.js';
import { startFauxqs } from '../helpers/fauxqs.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { FAST_RETRY, harness, testConfig, waitFor } from '../worker/harness.js';

const SECRET = 'whsec_e2e_hookgate';
const stripe = new Stripe('sk_test_hookgate');

/**
 * The whole path with real processes: `hookgate serve` verifies a Stripe-signed
 * request and answers 204; `hookgate worker` delivers the envelope to an HTTP
 * receiver and an SQS queue (fauxqs) with the same event id, skips the route whose
 * filter excludes it, dead-letters a rejecting destination, and `hookgate dlq
 * replay` delivers it once that receiver is fixed.
 */
t.test('Stripe webhook -> serve -> worker -> HTTP + SQS; filter; dlq replay', async (t) => {
  const fq = await startFauxqs();
  const http = await startHttpReceiver({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
  const refunds = await startHttpReceiver();
  const strict = await startHttpReceiver({ fallback: { status: 400, body: 'unknown field' } });
  t.teardown(() => Promise.all([fq.close(), http.close(), refunds.close(), strict.close()]));
  const queueUrl = fq.createQueue('payments');
  const prefix = uniquePrefix('e2e');
  t.teardown(() => dropPrefix(prefix));
  const raw = {
    server: { host: '127.0.0.1', port: 0, shutdownTimeout: '3s' },
    redis: { url: REDIS_URL, prefix },
    defaults: { retry: FAST_RETRY },
    logLevel: 'info',
    sources: {
      stripe: {
        verify: { type: 'stripe', secrets: [SECRET] },
        routes: [
          { to: 'http', filter: { 'body.type': { $regex: '^invoice\\.' } } },
          { to: 'payments', filter: { 'body.type': { $in: ['invoice.paid', 'invoice.payment_failed'] } } },
          { to: 'refunds', filter: { 'body.type': 'charge.refunded' } },
          { to: 'strict' },
        ],
      },
    },
    destinations: {
      http: {
        type: 'http',
        url: `${http.url}/hooks`,
        sign: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      },
      payments: { type: 'sqs', queueUrl, endpoint: fq.endpoint, region: fq.region },
      refunds: { type: 'http', url: refunds.url },
      strict: { type: 'http', url: strict.url },
    },
  };
  const { file, cleanup } = writeConfig(raw);
  t.teardown(cleanup);
  const procs: RunningCli[] = [];
  t.teardown(() => procs.forEach((p) => p.child.kill('SIGKILL')));

  const serve = await startCli(['serve', '--config', file], /ingress listening/);
  procs.push(serve);
  const worker = await startCli(['worker', '--config', file], /hookgate worker started/);
  procs.push(worker);
  const ingressUrl = (JSON.parse(serve.readyLine) as { url: string }).url;

  const payload = JSON.stringify({
    id: 'evt_e2e_1',
    object: 'event',
    type: 'invoice.paid',
    data: { object: { customer: 'cus_9', amount_paid: 4200 } },
  });
  const res = await fetch(`${ingressUrl}/hooks/stripe`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    },
    body: payload,
  });
  t.equal(res.status, 204);
  const eventId = res.headers.get('hookgate-event-id')!;
  t.match(eventId, /^[0-9A-Z]{26}$/);

  const [received] = await http.waitForRequests(1);
  const envelope = JSON.parse(received!.body.toString()) as Envelope;
  t.equal(envelope.id, eventId);
  t.equal(envelope.source, 'stripe');
  t.equal(envelope.requestPayload.body, payload, 'the provider body byte for byte');
  t.equal(envelope.requestContext.verified, true);
  t.same(received!.signature, { valid: true }, 'signed for the receiver');

  const [message] = await fq.receive(queueUrl, 1);
  const queued = JSON.parse(message!.Body!) as Envelope;
  t.equal(queued.id, eventId, 'same event id in SQS');
  t.equal(message!.MessageAttributes?.['hookgate-event-id']?.StringValue, eventId);

  // The dead letter comes from the same event; once it is there, every route has run.
  const config = testConfig({ ...raw, logLevel: 'silent' }, 'e2e-reader');
  const h = harness(t, { ...config, redis: { ...config.redis, prefix } });
  const deadId = deliveryId(eventId, 'strict');
  await waitFor('dead letter', () => h.store.get(deadId));
  const event = (await h.events.get(eventId))!;
  t.same(
    event.deliveries.map((d) => d.destination),
    ['http', 'payments', 'strict'],
    'the refunds filter excluded its route',
  );
  t.equal(refunds.requests.length, 0);

  const listed = await runCli(['dlq', 'list', '--json', '--config', file]);
  t.same(
    (JSON.parse(listed.stdout) as DeadLetterPage).items.map((i) => i.id),
    [deadId],
  );
  strict.setFallback({ status: 202 });
  const replay = await runCli(['dlq', 'replay', deadId, '--config', file]);
  t.equal(replay.code, 0, replay.stderr);
  const [, fixed] = await strict.waitForRequests(2);
  t.equal((JSON.parse(fixed!.body.toString()) as Envelope).id, eventId);
  await waitFor('replayed delivery delivered', async () => {
    const e = await h.events.get(eventId);
    return e?.deliveries.find((d) => d.id === deadId)?.status === 'delivered';
  });

  for (const p of procs) p.child.kill('SIGTERM');
  for (const p of procs) t.equal((await p.done).code, 0, `${p.readyLine.slice(0, 40)}… exits 0`);
  t.equal(http.requests.length, 1, 'delivered once');
});
