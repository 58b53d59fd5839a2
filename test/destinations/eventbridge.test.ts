import t from 'tap';
import { PermanentError, RetryableError } from '../../src/destinations/errors.js';
import { createDestination } from '../../src/destinations/index.js';
import { eventbridgeOptions } from '../../src/destinations/options.js';
import type { Destination } from '../../src/destinations/types.js';
import { startEventBridgeEndpoint, type EventBridgeEndpoint } from '../helpers/eventbridge-endpoint.js';
import { conformance, type ConformanceTarget, errorOf } from './conformance.js';
import { sampleRecord } from './record.js';

const live = new AbortController().signal;

function ebDestination(eb: EventBridgeEndpoint, config: Record<string, unknown> = {}, timeoutMs = 10_000) {
  return createDestination(
    'bus-out',
    eventbridgeOptions.parse({ type: 'eventbridge', endpoint: eb.url, region: eb.region, ...config }),
    { defaultTimeout: timeoutMs },
  );
}

conformance('eventbridge', async (): Promise<ConformanceTarget> => {
  const eb = await startEventBridgeEndpoint();
  const made: Destination[] = [];
  const make = (config: Record<string, unknown>, timeoutMs?: number) => {
    const d = ebDestination(eb, config, timeoutMs);
    made.push(d);
    return d;
  };
  let seen = 0;
  return {
    destination: ({ format, timeoutMs }) => make({ format }, timeoutMs),
    async nextDelivered() {
      const entries = await eb.waitForEntries(seen + 1);
      const entry = entries[seen++]!;
      return {
        bytes: Buffer.from(entry.Detail!, 'utf8'),
        eventId: entry.Resources?.[0],
      };
    },
    failNext: () => void eb.fail({ entryError: 'ThrottlingException', message: 'Rate exceeded' }),
    broken: () => {
      void eb.fail({
        entryError: 'NotAuthorizedForSourceException',
        message: 'Not authorized for the source.',
      });
      return {
        destination: make({}),
        message: /entry rejected: NotAuthorizedForSourceException: Not authorized for the source\./,
      };
    },
    stallNext: () => eb.fail('stall'),
    async close() {
      for (const d of made) await d.close();
      await eb.close();
    },
  };
});

t.test('eventbridge destination specifics', async (t) => {
  const eb = await startEventBridgeEndpoint();
  t.teardown(() => eb.close());

  t.test('the entry: templates, bus, receipt time, resources, a signed JSON 1.1 request', async (t) => {
    const dest = ebDestination(eb, {
      eventBusName: 'payments',
      source: 'hookgate.{{ source }}',
      detailType: 'stripe.{{ body.type }}',
    });
    t.teardown(() => dest.close());
    const record = sampleRecord();
    const result = await dest.send(record, live);
    t.match(result.info, { eventId: /^[0-9a-f-]{36}$/ });
    const request = eb.requests.at(-1)!;
    t.equal(request.headers['x-amz-target'], 'AWSEvents.PutEvents');
    t.match(request.headers['content-type'], /^application\/x-amz-json-1\.1/);
    t.match(
      request.headers.authorization,
      /^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/us-east-1\/events\/aws4_request/,
    );
    t.equal(request.entries.length, 1);
    const entry = request.entries[0]!;
    t.equal(entry.EventBusName, 'payments');
    t.equal(entry.Source, 'hookgate.stripe');
    t.equal(entry.DetailType, 'stripe.invoice.paid');
    t.equal(entry.Time, Date.parse(record.timestamp) / 1000);
    t.same(entry.Resources, [record.id]);
    t.same(JSON.parse(entry.Detail!), record);
  });

  t.test('defaults: bus "default", source hookgate.<source>, detail type "webhook"', async (t) => {
    const dest = ebDestination(eb);
    t.teardown(() => dest.close());
    await dest.send(sampleRecord({ source: 'github' }), live);
    const entry = eb.requests.at(-1)!.entries[0]!;
    t.equal(entry.EventBusName, 'default');
    t.equal(entry.Source, 'hookgate.github');
    t.equal(entry.DetailType, 'webhook');
  });

  t.test('entry failures are read one by one: transient codes retry, others are permanent', async (t) => {
    const dest = ebDestination(eb);
    t.teardown(() => dest.close());
    for (const code of ['ThrottlingException', 'InternalFailure']) {
      void eb.fail({ entryError: code });
      const err = await errorOf(dest.send(sampleRecord(), live));
      t.ok(err instanceof RetryableError, `${code}: ${err.message}`);
    }
    for (const code of ['MalformedDetail', 'InvalidArgument', 'AccessDeniedException']) {
      void eb.fail({ entryError: code });
      const err = await errorOf(dest.send(sampleRecord(), live));
      t.ok(err instanceof PermanentError, `${code}: ${err.message}`);
      t.match(err.message, new RegExp(`^EventBridge bus default: entry rejected: ${code}`));
    }
  });

  t.test('a throttled or unavailable request is retryable', async (t) => {
    const dest = ebDestination(eb);
    t.teardown(() => dest.close());
    void eb.fail('throttle');
    const throttled = await errorOf(dest.send(sampleRecord(), live));
    t.ok(throttled instanceof RetryableError);
    t.match(throttled.message, /ThrottlingException: Rate exceeded/);
    void eb.fail('unavailable');
    t.ok((await errorOf(dest.send(sampleRecord(), live))) instanceof RetryableError);
  });

  t.test(
    'format body must be a JSON object: text, arrays and binary are permanent and never sent',
    async (t) => {
      const dest = ebDestination(eb, { format: 'body' });
      t.teardown(() => dest.close());
      const before = eb.requests.length;
      const cases = [
        sampleRecord({ body: 'plain words', contentType: 'text/plain' }),
        sampleRecord({ body: '[1,2]' }),
        sampleRecord({ body: Buffer.from([0xff, 0x01]), contentType: 'application/octet-stream' }),
      ];
      for (const record of cases) {
        const err = await errorOf(dest.send(record, live));
        t.ok(err instanceof PermanentError);
        t.match(err.message, /^EventBridge Detail must be a JSON object/);
      }
      t.equal(eb.requests.length, before, 'nothing sent');
    },
  );

  t.test('a detail-type template naming a missing path is permanent', async (t) => {
    const dest = ebDestination(eb, { detailType: '{{ headers.x-event-type }}' });
    t.teardown(() => dest.close());
    const err = await errorOf(dest.send(sampleRecord(), live));
    t.ok(err instanceof PermanentError);
    t.equal(err.message, 'template "{{ headers.x-event-type }}": headers.x-event-type is missing');
  });
});
