import t from 'tap';
import { PermanentError, RetryableError } from '../../src/destinations/errors.js';
import { createDestination } from '../../src/destinations/index.js';
import { snsOptions } from '../../src/destinations/options.js';
import type { Destination } from '../../src/destinations/types.js';
import { startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';
import { conformance, type ConformanceTarget, errorOf } from './conformance.js';
import { sampleRecord } from './record.js';

const live = new AbortController().signal;

function snsDestination(fq: Fauxqs, config: Record<string, unknown>, timeoutMs = 10_000, name = 'topic-out') {
  return createDestination(
    name,
    snsOptions.parse({ type: 'sns', endpoint: fq.endpoint, region: fq.region, ...config }),
    { defaultTimeout: timeoutMs },
  );
}

for (const suffix of ['', '.fifo']) {
  conformance(`sns (${suffix ? 'FIFO' : 'standard'} topic)`, async (): Promise<ConformanceTarget> => {
    const fq = await startFauxqs();
    const topicArn = fq.createTopic(`events${suffix}`);
    const queueUrl = fq.createQueue(`events-copy${suffix}`);
    fq.subscribe(`events${suffix}`, `events-copy${suffix}`);
    const made: Destination[] = [];
    const make = (config: Record<string, unknown>, timeoutMs?: number) => {
      const d = snsDestination(fq, config, timeoutMs);
      made.push(d);
      return d;
    };
    return {
      destination: ({ format, timeoutMs }) => make({ topicArn, format }, timeoutMs),
      async nextDelivered() {
        const [m] = await fq.receive(queueUrl, 1);
        return {
          bytes: Buffer.from(m!.Body!, 'utf8'),
          eventId: m!.MessageAttributes?.['hookgate-event-id']?.StringValue,
        };
      },
      failNext: () => void fq.fail('throttle'),
      broken: () => ({
        destination: make({ topicArn: `${topicArn}-missing` }),
        message: /SNS arn:aws:sns:us-east-1:\d+:events.*-missing: NotFound/,
      }),
      stallNext: () => fq.fail('stall'),
      async close() {
        for (const d of made) await d.close();
        await fq.close();
      },
    };
  });
}

t.test('sns destination specifics', async (t) => {
  const fq = await startFauxqs();
  t.teardown(() => fq.close());

  t.test('message attributes reach a subscribed queue (raw and SNS-envelope delivery)', async (t) => {
    const topicArn = fq.createTopic('attrs');
    const rawUrl = fq.createQueue('attrs-raw');
    const wrappedUrl = fq.createQueue('attrs-wrapped');
    fq.subscribe('attrs', 'attrs-raw');
    fq.subscribe('attrs', 'attrs-wrapped', { raw: false });
    const dest = snsDestination(fq, { topicArn });
    t.teardown(() => dest.close());
    const record = sampleRecord({ condition: 'Failure' });
    const result = await dest.send(record, live);
    t.ok(result.info?.messageId);

    const [raw] = await fq.receive(rawUrl, 1);
    t.same(JSON.parse(raw!.Body!), record);
    const attrs = Object.fromEntries(
      Object.entries(raw!.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
    );
    t.same(attrs, {
      'hookgate-event-id': record.id,
      'hookgate-source': 'stripe',
      'hookgate-condition': 'Failure',
      'hookgate-content-type': 'application/json',
    });

    const [wrapped] = await fq.receive(wrappedUrl, 1);
    const notification = JSON.parse(wrapped!.Body!) as {
      Message: string;
      MessageId: string;
      MessageAttributes: Record<string, { Type: string; Value: string }>;
    };
    t.equal(notification.MessageId, result.info?.messageId);
    t.same(JSON.parse(notification.Message), record);
    t.same(notification.MessageAttributes['hookgate-event-id'], { Type: 'String', Value: record.id });
  });

  t.test('FIFO topic: group id template and dedup id reach a FIFO queue; a repeat is dropped', async (t) => {
    const topicArn = fq.createTopic('orders.fifo');
    const queueUrl = fq.createQueue('orders-copy.fifo');
    fq.subscribe('orders.fifo', 'orders-copy.fifo');
    const dest = snsDestination(
      fq,
      { topicArn, groupId: 'cust-{{ body.data.object.customer }}' },
      10_000,
      'orders',
    );
    t.teardown(() => dest.close());
    const record = sampleRecord();
    await dest.send(record, live);
    await dest.send(record, live);
    const [m] = await fq.receive(queueUrl, 1);
    t.equal(m!.Attributes?.MessageGroupId, 'cust-cus_42');
    t.equal(m!.Attributes?.MessageDeduplicationId, `${record.id}:orders`);
    const left = fq.server.inspectQueue('orders-copy.fifo')!.messages;
    t.equal(left.ready.length + left.delayed.length + left.inflight.length, 0, 'the repeat was deduplicated');
  });

  t.test('a message over the SNS size limit is permanent', async (t) => {
    const topicArn = fq.createTopic('small');
    const dest = snsDestination(fq, { topicArn, format: 'body' });
    t.teardown(() => dest.close());
    const big = sampleRecord({ body: 'x'.repeat(256 * 1024 + 1), contentType: 'text/plain' });
    const err = await errorOf(dest.send(big, live));
    t.ok(err instanceof PermanentError, `${err.name}: ${err.message}`);
  });

  t.test('503 from the service is retryable', async (t) => {
    const topicArn = fq.createTopic('flaky');
    const dest = snsDestination(fq, { topicArn });
    t.teardown(() => dest.close());
    void fq.fail('unavailable');
    const err = await errorOf(dest.send(sampleRecord(), live));
    t.ok(err instanceof RetryableError, `${err.name}: ${err.message}`);
    t.match(err.message, /ServiceUnavailable/);
  });
});
