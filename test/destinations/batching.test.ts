import t from 'tap';
import { PermanentError, RetryableError } from '../../src/destinations/errors.js';
import { entrySize } from '../../src/destinations/eventbridge.js';
import { createDestination } from '../../src/destinations/index.js';
import { eventbridgeOptions, snsOptions, sqsOptions } from '../../src/destinations/options.js';
import type { Destination, SendResult } from '../../src/destinations/types.js';
import type { Envelope } from '../../src/record/envelope.js';
import { formatRecord } from '../../src/record/format.js';
import { startEventBridgeEndpoint } from '../helpers/eventbridge-endpoint.js';
import { startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';
import { errorOf } from './conformance.js';
import { sampleRecord } from './record.js';

/**
 * Deliveries in flight together to one AWS destination share a batch call
 * (SendMessageBatch, PublishBatch, PutEvents), yet each send gets its own outcome.
 */
const live = new AbortController().signal;

const settle = (sends: Promise<SendResult>[]) => Promise.allSettled(sends);
const records = (n: number, options: Parameters<typeof sampleRecord>[0] = {}) =>
  Array.from({ length: n }, () => sampleRecord(options));

function sqs(fq: Fauxqs, config: Record<string, unknown>, timeoutMs = 10_000, name = 'queue-out') {
  return createDestination(
    name,
    sqsOptions.parse({ type: 'sqs', endpoint: fq.endpoint, region: fq.region, ...config }),
    { defaultTimeout: timeoutMs },
  );
}

function attributesOf(m: {
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string }>;
}) {
  return Object.fromEntries(
    Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, `${v.DataType}:${v.StringValue}`]),
  );
}

const expectedAttributes = (record: Envelope) => ({
  'hookgate-event-id': `String:${record.id}`,
  'hookgate-source': `String:${record.source}`,
  'hookgate-condition': `String:${record.requestContext.condition}`,
  'hookgate-content-type': 'String:application/json',
});

t.test('sqs: batching', async (t) => {
  const fq = await startFauxqs();
  const made: Destination[] = [];
  const make = (config: Record<string, unknown>, timeoutMs?: number, name?: string) => {
    const d = sqs(fq, config, timeoutMs, name);
    made.push(d);
    return d;
  };
  t.teardown(async () => {
    for (const d of made) await d.close();
    await fq.close();
  });
  const callsSince = (from: number) => fq.calls.slice(from);

  t.test('25 concurrent deliveries go as 3 SendMessageBatch calls; each arrives as before', async (t) => {
    const queueUrl = fq.createQueue('batched');
    const dest = make({ queueUrl });
    const batch = records(25);
    const from = fq.calls.length;
    const results = await Promise.all(batch.map((r) => dest.send(r, live)));
    // The three calls are in flight together: they may arrive in any order.
    const calls = callsSince(from);
    t.ok(calls.every((c) => c.operation === 'SendMessageBatch'));
    t.same(calls.map((c) => c.entries).sort(), [10, 10, 5].sort(), '3 calls for 25 deliveries');
    const got = await fq.receive(queueUrl, 25);
    const byId = new Map(got.map((m) => [m.MessageAttributes?.['hookgate-event-id']?.StringValue, m]));
    batch.forEach((record, i) => {
      const m = byId.get(record.id)!;
      t.ok(m, `${record.id} arrived`);
      t.equal(m.Body, formatRecord(record, 'envelope').text, 'body as a single send sends it');
      t.same(attributesOf(m), expectedAttributes(record), 'attributes as before');
      t.equal(results[i]!.info?.messageId, m.MessageId, "each send reports its own entry's message id");
    });
  });

  t.test('FIFO: group and deduplication id per entry, order within the group kept', async (t) => {
    const queueUrl = fq.createQueue('batched.fifo');
    const dest = make({ queueUrl, groupId: '{{ body.data.object.customer }}' }, 10_000, 'ordered');
    const batch = records(10);
    const from = fq.calls.length;
    const results = await Promise.all(batch.map((r) => dest.send(r, live)));
    t.same(callsSince(from), [{ operation: 'SendMessageBatch', entries: 10 }]);
    t.ok(
      results.every((r) => r.info?.sequenceNumber),
      'each send has its sequence number',
    );
    const got = await fq.receive(queueUrl, 10);
    t.same(
      got.map((m) => m.MessageAttributes?.['hookgate-event-id']?.StringValue),
      batch.map((r) => r.id),
      'received in send order',
    );
    t.same(
      got.map((m) => m.Attributes?.MessageDeduplicationId),
      batch.map((r) => `${r.id}:ordered`),
    );
    t.ok(got.every((m) => m.Attributes?.MessageGroupId === 'cus_42'));
    // A retry of one of them in a later batch is still deduplicated by SQS.
    await dest.send(batch[3]!, live);
    const left = fq.server.inspectQueue('batched.fifo')!.messages;
    t.equal(left.ready.length, 0, 'the repeat was dropped');
  });

  t.test('one entry failing permanently and one retryably: each routed, the rest delivered', async (t) => {
    const queueUrl = fq.createQueue('mixed');
    const dest = make({ queueUrl });
    const batch = records(10);
    fq.failEntries({
      2: { code: 'InvalidParameterValue', senderFault: true, message: 'Message must be shorter' },
      5: { code: 'InternalError', senderFault: false, message: 'try again' },
      7: { code: 'RequestThrottled', senderFault: true },
    });
    const from = fq.calls.length;
    const outcomes = await settle(batch.map((r) => dest.send(r, live)));
    t.equal(callsSince(from).length, 1, 'one call');
    const reason = (i: number) => (outcomes[i] as PromiseRejectedResult).reason as Error;
    t.ok(reason(2) instanceof PermanentError, 'SenderFault: permanent');
    t.match(reason(2).message, /^SQS .*mixed: InvalidParameterValue: Message must be shorter$/);
    t.ok(reason(5) instanceof RetryableError, 'not the sender: retryable');
    t.match(reason(5).message, /InternalError: try again/);
    t.ok(reason(7) instanceof RetryableError, 'throttling is retryable even as a sender fault');
    const ok = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    t.same(ok, [0, 1, 3, 4, 6, 8, 9]);
    const got = await fq.receive(queueUrl, 7);
    t.same(
      got.map((m) => m.MessageAttributes?.['hookgate-event-id']?.StringValue).sort(),
      ok.map((i) => batch[i]!.id).sort(),
    );
  });

  t.test('a failed call fails every entry with the classification of a single send', async (t) => {
    const queueUrl = fq.createQueue('throttled');
    const dest = make({ queueUrl });
    void fq.fail('throttle');
    const outcomes = await settle(records(4).map((r) => dest.send(r, live)));
    for (const o of outcomes) {
      const err = (o as PromiseRejectedResult).reason as Error;
      t.ok(err instanceof RetryableError);
      t.match(err.message, /ThrottlingException: Rate exceeded/);
    }
  });

  t.test('the 256 KiB per call limit splits batches; a larger lone message still goes', async (t) => {
    const queueUrl = fq.createQueue('large');
    const dest = make({ queueUrl, format: 'body' });
    const body = 'x'.repeat(100 * 1024);
    const batch = records(5, { body, contentType: 'text/plain' });
    const from = fq.calls.length;
    await Promise.all(batch.map((r) => dest.send(r, live)));
    t.same(
      callsSince(from)
        .map((c) => c.entries)
        .sort(),
      [1, 2, 2],
      '2 x 100 KiB fit in 256 KiB, 3 do not',
    );
    await fq.receive(queueUrl, 5);
    const big = sampleRecord({ body: 'y'.repeat(300 * 1024), contentType: 'text/plain' });
    await dest.send(big, live);
    const [m] = await fq.receive(queueUrl, 1);
    t.equal(m!.Body!.length, 300 * 1024, 'a message over 256 KiB (under SQS 1 MiB) is delivered alone');
  });

  t.test('a lone delivery is sent promptly, in a call of its own', async (t) => {
    const queueUrl = fq.createQueue('lone');
    const dest = make({ queueUrl });
    await dest.send(sampleRecord(), live); // warm: client, connection
    const from = fq.calls.length;
    // Promptly: the call goes on the next turn of the event loop (batcher.test.ts).
    await dest.send(sampleRecord(), live);
    t.same(callsSince(from), [{ operation: 'SendMessageBatch', entries: 1 }]);
  });

  t.test('a delivery whose deadline passes fails on time; its batch-mates are not cut short', async (t) => {
    const queueUrl = fq.createQueue('stalled');
    const dest = make({ queueUrl }, 800);
    const arrived = fq.fail('stall');
    const controller = new AbortController();
    const first = errorOf(dest.send(sampleRecord(), controller.signal));
    const second = errorOf(dest.send(sampleRecord(), live));
    let secondSettled = false;
    void second.then(() => (secondSettled = true));
    await arrived;
    controller.abort();
    const aborted = await first;
    t.ok(aborted instanceof RetryableError);
    t.match(aborted.message, /aborted/);
    // The stalled call answers nothing, so only its 800 ms deadline settles the other.
    t.notOk(secondSettled, 'the aborted one did not wait for the call');
    const timedOut = await second;
    t.ok(timedOut instanceof RetryableError);
    t.match(timedOut.message, /timed out after 800ms/);
  });

  t.test('deliveries to different destinations never share a call', async (t) => {
    const a = make({ queueUrl: fq.createQueue('one') });
    const b = make({ queueUrl: fq.createQueue('two') });
    const from = fq.calls.length;
    await Promise.all([...records(3).map((r) => a.send(r, live)), ...records(3).map((r) => b.send(r, live))]);
    t.same(
      callsSince(from).map((c) => c.entries),
      [3, 3],
    );
  });
});

t.test('sns: batching', async (t) => {
  const fq = await startFauxqs();
  t.teardown(() => fq.close());
  const make = (topicArn: string, name = 'topic-out') =>
    createDestination(
      name,
      snsOptions.parse({ type: 'sns', topicArn, endpoint: fq.endpoint, region: fq.region }),
      {
        defaultTimeout: 10_000,
      },
    );

  t.test('25 concurrent publishes go as 3 PublishBatch calls; each arrives as before', async (t) => {
    const topicArn = fq.createTopic('batched');
    const queueUrl = fq.createQueue('batched-copy');
    fq.subscribe('batched', 'batched-copy');
    const dest = make(topicArn);
    t.teardown(() => dest.close());
    const batch = records(25);
    const from = fq.calls.length;
    const results = await Promise.all(batch.map((r) => dest.send(r, live)));
    t.same(fq.calls.slice(from), [
      { operation: 'PublishBatch', entries: 10 },
      { operation: 'PublishBatch', entries: 10 },
      { operation: 'PublishBatch', entries: 5 },
    ]);
    t.equal(new Set(results.map((r) => r.info?.messageId)).size, 25, 'a message id each');
    const got = await fq.receive(queueUrl, 25);
    const byId = new Map(got.map((m) => [m.MessageAttributes?.['hookgate-event-id']?.StringValue, m]));
    for (const record of batch) {
      const m = byId.get(record.id)!;
      t.equal(m.Body, formatRecord(record, 'envelope').text);
      t.same(attributesOf(m), expectedAttributes(record));
    }
  });

  t.test('FIFO topic: group and deduplication id per entry', async (t) => {
    const topicArn = fq.createTopic('batched.fifo');
    const queueUrl = fq.createQueue('batched-copy.fifo');
    fq.subscribe('batched.fifo', 'batched-copy.fifo');
    const dest = make(topicArn, 'orders');
    t.teardown(() => dest.close());
    const batch = records(5);
    await Promise.all(batch.map((r) => dest.send(r, live)));
    const got = await fq.receive(queueUrl, 5);
    t.same(
      got.map((m) => m.Attributes?.MessageDeduplicationId),
      batch.map((r) => `${r.id}:orders`),
      'in order, one deduplication id each',
    );
    t.ok(got.every((m) => m.Attributes?.MessageGroupId === 'stripe'));
  });

  t.test('an entry SNS rejects is permanent, the others are delivered', async (t) => {
    const topicArn = fq.createTopic('mixed');
    const queueUrl = fq.createQueue('mixed-copy');
    fq.subscribe('mixed', 'mixed-copy');
    const dest = createDestination(
      'raw',
      snsOptions.parse({ type: 'sns', topicArn, endpoint: fq.endpoint, region: fq.region, format: 'body' }),
      { defaultTimeout: 10_000 },
    );
    t.teardown(() => dest.close());
    // Over SNS's 256 KiB message limit: fauxqs (as SNS) fails that entry alone.
    const batch = [
      sampleRecord(),
      sampleRecord({ body: 'z'.repeat(256 * 1024 + 1), contentType: 'text/plain' }),
      sampleRecord(),
    ];
    const outcomes = await settle(batch.map((r) => dest.send(r, live)));
    t.equal(outcomes[0]!.status, 'fulfilled');
    t.equal(outcomes[2]!.status, 'fulfilled');
    const err = (outcomes[1] as PromiseRejectedResult).reason as Error;
    t.ok(err instanceof PermanentError, `${err.name}: ${err.message}`);
    t.match(err.message, /^SNS .*mixed: InvalidParameter/);
    await fq.receive(queueUrl, 2);
  });
});

t.test('eventbridge: batching', async (t) => {
  const eb = await startEventBridgeEndpoint();
  t.teardown(() => eb.close());
  const make = (config: Record<string, unknown> = {}) =>
    createDestination(
      'bus-out',
      eventbridgeOptions.parse({ type: 'eventbridge', endpoint: eb.url, region: eb.region, ...config }),
      { defaultTimeout: 10_000 },
    );

  t.test('25 concurrent deliveries go as 3 PutEvents calls, entries as before', async (t) => {
    const dest = make();
    t.teardown(() => dest.close());
    const batch = records(25);
    const from = eb.requests.length;
    const results = await Promise.all(batch.map((r) => dest.send(r, live)));
    const requests = eb.requests.slice(from);
    t.same(requests.map((r) => r.entries.length).sort(), [10, 10, 5].sort(), '3 calls for 25 deliveries');
    const sent = new Map(requests.flatMap((r) => r.entries).map((e) => [e.Resources?.[0], e]));
    batch.forEach((record, i) => {
      t.same(sent.get(record.id), {
        EventBusName: 'default',
        Source: 'hookgate.stripe',
        DetailType: 'webhook',
        Detail: formatRecord(record, 'envelope').text,
        Time: Date.parse(record.timestamp) / 1000,
        Resources: [record.id],
      });
      t.match(results[i]!.info, { eventId: /^[0-9a-f-]{36}$/ });
    });
  });

  t.test('entry results are read one by one in a multi-entry PutEvents', async (t) => {
    const dest = make();
    t.teardown(() => dest.close());
    void eb.fail({
      entries: {
        1: { entryError: 'ThrottlingException', message: 'Rate exceeded' },
        4: { entryError: 'InternalFailure' },
        6: { entryError: 'MalformedDetail', message: 'Detail is malformed.' },
      },
    });
    const from = eb.requests.length;
    const before = eb.entries.length;
    const outcomes = await settle(records(8).map((r) => dest.send(r, live)));
    t.equal(eb.requests.length - from, 1, 'one call');
    const reason = (i: number) => (outcomes[i] as PromiseRejectedResult).reason as Error;
    t.ok(reason(1) instanceof RetryableError);
    t.ok(reason(4) instanceof RetryableError);
    t.ok(reason(6) instanceof PermanentError);
    t.equal(
      reason(6).message,
      'EventBridge bus default: entry rejected: MalformedDetail: Detail is malformed.',
    );
    t.same(
      outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : [])),
      [0, 2, 3, 5, 7],
    );
    t.equal(eb.entries.length - before, 5, 'the other five accepted');
  });

  t.test('the 256 KiB PutEvents limit, by AWS entry size, splits batches', async (t) => {
    const dest = make({ format: 'body' });
    t.teardown(() => dest.close());
    const detail = JSON.stringify({ pad: 'p'.repeat(100 * 1024) });
    const batch = records(3, { body: detail });
    const from = eb.requests.length;
    await Promise.all(batch.map((r) => dest.send(r, live)));
    const requests = eb.requests.slice(from);
    t.same(requests.map((r) => r.entries.length).sort(), [1, 2]);
    t.equal(
      entrySize({ Time: new Date(), Source: 'ab', DetailType: 'c', Detail: '{}', Resources: ['éé'] }),
      14 + 2 + 1 + 2 + 4,
      'Time 14 bytes, then UTF-8 bytes of Source, DetailType, Detail, resources',
    );
  });

  t.test('a lone delivery is sent promptly, in a call of its own', async (t) => {
    const dest = make();
    t.teardown(() => dest.close());
    await dest.send(sampleRecord(), live);
    const from = eb.requests.length;
    // Promptly: the call goes on the next turn of the event loop (batcher.test.ts).
    await dest.send(sampleRecord(), live);
    t.same(
      eb.requests.slice(from).map((r) => r.entries.length),
      [1],
    );
  });
});
