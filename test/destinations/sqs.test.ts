import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { PermanentError, RetryableError } from '../../src/destinations/errors.js';
import { createDestination } from '../../src/destinations/index.js';
import { sqsOptions } from '../../src/destinations/options.js';
import type { Destination } from '../../src/destinations/types.js';
import { startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';
import { conformance, type ConformanceTarget, errorOf } from './conformance.js';
import { sampleRecord } from './record.js';

const live = new AbortController().signal;

function sqsDestination(
  fq: Fauxqs,
  config: Record<string, unknown>,
  timeoutMs = 10_000,
  name = 'queue-out',
): Destination {
  return createDestination(
    name,
    sqsOptions.parse({ type: 'sqs', endpoint: fq.endpoint, region: fq.region, ...config }),
    { defaultTimeout: timeoutMs },
  );
}

for (const queue of ['conformance', 'conformance.fifo']) {
  conformance(
    `sqs (${queue.endsWith('.fifo') ? 'FIFO' : 'standard'} queue)`,
    async (): Promise<ConformanceTarget> => {
      const fq = await startFauxqs();
      const queueUrl = fq.createQueue(queue);
      const made: Destination[] = [];
      const make = (config: Record<string, unknown>, timeoutMs?: number) => {
        const d = sqsDestination(fq, config, timeoutMs);
        made.push(d);
        return d;
      };
      return {
        destination: ({ format, timeoutMs }) => make({ queueUrl, format }, timeoutMs),
        async nextDelivered() {
          const [m] = await fq.receive(queueUrl, 1);
          return {
            bytes: Buffer.from(m!.Body!, 'utf8'),
            eventId: m!.MessageAttributes?.['hookgate-event-id']?.StringValue,
          };
        },
        failNext: () => void fq.fail('unavailable'),
        broken: () => ({
          destination: make({ queueUrl: queueUrl.replace(queue, `missing-${queue}`) }),
          message: /SQS .*missing-conformance.*: QueueDoesNotExist/,
        }),
        stallNext: () => fq.fail('stall'),
        async close() {
          for (const d of made) await d.close();
          await fq.close();
        },
      };
    },
  );
}

t.test('sqs destination specifics', async (t) => {
  const fq = await startFauxqs();
  t.teardown(() => fq.close());

  t.test('standard queue: body and every attribute, read back with the SDK', async (t) => {
    const queueUrl = fq.createQueue('standard-attrs');
    const dest = sqsDestination(fq, { queueUrl });
    t.teardown(() => dest.close());
    const record = sampleRecord({ condition: 'Failure' });
    const result = await dest.send(record, live);
    const [m] = await fq.receive(queueUrl, 1);
    t.equal(result.info?.messageId, m!.MessageId);
    t.same(JSON.parse(m!.Body!), record);
    const attrs = Object.fromEntries(
      Object.entries(m!.MessageAttributes ?? {}).map(([k, v]) => [k, `${v.DataType}:${v.StringValue}`]),
    );
    t.same(attrs, {
      'hookgate-event-id': `String:${record.id}`,
      'hookgate-source': 'String:stripe',
      'hookgate-condition': 'String:Failure',
      'hookgate-content-type': 'String:application/json',
    });
  });

  t.test('FIFO: group id from the template, dedup id = event id + destination', async (t) => {
    const queueUrl = fq.createQueue('payments.fifo');
    const dest = sqsDestination(
      fq,
      { queueUrl, groupId: '{{ body.data.object.customer }}' },
      10_000,
      'payments',
    );
    const other = sqsDestination(fq, { queueUrl }, 10_000, 'audit');
    t.teardown(async () => {
      await dest.close();
      await other.close();
    });
    const record = sampleRecord();
    const first = await dest.send(record, live);
    t.ok(first.info?.sequenceNumber, 'FIFO sequence number reported');
    await dest.send(record, live); // a retry after an unseen success: SQS drops it
    await other.send(record, live); // another destination's delivery of the same event is not a duplicate
    const got = await fq.receive(queueUrl, 2);
    const byGroup = Object.fromEntries(got.map((m) => [m.Attributes?.MessageGroupId ?? '', m]));
    t.same(Object.keys(byGroup).sort(), ['cus_42', 'stripe'], 'template group, and the source by default');
    t.equal(byGroup.cus_42!.Attributes?.MessageDeduplicationId, `${record.id}:payments`);
    t.equal(byGroup.stripe!.Attributes?.MessageDeduplicationId, `${record.id}:audit`);
    t.equal(byGroup.cus_42!.MessageAttributes?.['hookgate-event-id']?.StringValue, record.id);
    const left = fq.server.inspectQueue('payments.fifo')!.messages;
    t.equal(left.ready.length + left.delayed.length + left.inflight.length, 0, 'the duplicate was dropped');
  });

  t.test('FIFO: a long destination name gives a hashed 128-char-safe dedup id', async (t) => {
    const queueUrl = fq.createQueue('long.fifo');
    const name = `d${'x'.repeat(120)}`;
    const dest = sqsDestination(fq, { queueUrl }, 10_000, name);
    t.teardown(() => dest.close());
    await dest.send(sampleRecord(), live);
    const [m] = await fq.receive(queueUrl, 1);
    t.match(m!.Attributes?.MessageDeduplicationId, /^[0-9a-f]{64}$/);
  });

  t.test('FIFO: a group id template with a missing path is permanent, nothing sent', async (t) => {
    const queueUrl = fq.createQueue('missing-group.fifo');
    const dest = sqsDestination(fq, { queueUrl, groupId: '{{ body.account }}' });
    t.teardown(() => dest.close());
    const err = await errorOf(dest.send(sampleRecord(), live));
    t.ok(err instanceof PermanentError);
    t.equal(err.message, 'template "{{ body.account }}": body.account is missing');
    t.equal(fq.server.inspectQueue('missing-group.fifo')?.messages.ready.length, 0);
  });

  t.test('format body: the raw body, binary as base64 with an encoding attribute', async (t) => {
    const queueUrl = fq.createQueue('raw-bodies');
    const dest = sqsDestination(fq, { queueUrl, format: 'body' });
    t.teardown(() => dest.close());
    const bytes = Buffer.from([0xff, 0x00, 0x10, 0x80]);
    await dest.send(sampleRecord({ body: bytes, contentType: 'application/octet-stream' }), live);
    const [m] = await fq.receive(queueUrl, 1);
    t.ok(Buffer.from(m!.Body!, 'base64').equals(bytes));
    t.equal(m!.MessageAttributes?.['hookgate-body-encoding']?.StringValue, 'base64');
    t.equal(m!.MessageAttributes?.['hookgate-content-type']?.StringValue, 'application/octet-stream');
  });

  t.test('throttling is retryable, a reset connection too', async (t) => {
    const queueUrl = fq.createQueue('faults');
    const dest = sqsDestination(fq, { queueUrl });
    t.teardown(() => dest.close());
    void fq.fail('throttle');
    const throttled = await errorOf(dest.send(sampleRecord(), live));
    t.ok(throttled instanceof RetryableError);
    t.match(throttled.message, /ThrottlingException: Rate exceeded/);
    void fq.fail('drop');
    const dropped = await errorOf(dest.send(sampleRecord(), live));
    t.ok(dropped instanceof RetryableError, dropped.message);
  });

  t.test('a message over the SQS size limit is permanent', async (t) => {
    const queueUrl = fq.createQueue('small');
    const dest = sqsDestination(fq, { queueUrl, format: 'body' });
    t.teardown(() => dest.close());
    const err = await errorOf(
      dest.send(sampleRecord({ body: 'x'.repeat(1024 * 1024 + 1), contentType: 'text/plain' }), live),
    );
    t.ok(err instanceof PermanentError, `${err.name}: ${err.message}`);
  });

  t.test(
    'an endpoint answering 408 or 429 is retryable whatever the error is called; 413 is not',
    async (t) => {
      for (const [status, retryable] of [
        [408, true],
        [429, true],
        [413, false],
      ] as const) {
        const server = createServer((req, res) => {
          req.resume();
          req.on('end', () => {
            res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
            res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#SomethingElse', message: 'no' }));
          });
        });
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const dest = createDestination(
          'odd',
          sqsOptions.parse({
            type: 'sqs',
            queueUrl: `${endpoint}/000000000000/q`,
            endpoint,
            region: 'us-east-1',
          }),
          { defaultTimeout: 10_000 },
        );
        const err = await errorOf(dest.send(sampleRecord(), live));
        await dest.close();
        server.close();
        t.equal(err instanceof RetryableError, retryable, `${status}: ${err.name}: ${err.message}`);
        t.equal(err instanceof PermanentError, !retryable, `${status}`);
      }
    },
  );

  t.test('nothing listening at the endpoint is retryable', async (t) => {
    const dest = createDestination(
      'gone',
      sqsOptions.parse({
        type: 'sqs',
        queueUrl: 'http://127.0.0.1:9/000000000000/q',
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
      }),
      { defaultTimeout: 10_000 },
    );
    t.teardown(() => dest.close());
    const err = await errorOf(dest.send(sampleRecord(), live));
    t.ok(err instanceof RetryableError, `${err.name}: ${err.message}`);
  });
});
