import t from 'tap';
import { regionOf } from '../../src/destinations/aws.js';
import { PermanentError } from '../../src/destinations/errors.js';
import { createDestination } from '../../src/destinations/index.js';
import { eventbridgeOptions, sqsOptions } from '../../src/destinations/options.js';
import { startEventBridgeEndpoint } from '../helpers/eventbridge-endpoint.js';
import { sampleRecord } from './record.js';

// This file needs a process with no region configured at all.
delete process.env.AWS_REGION;
process.env.AWS_CONFIG_FILE = '/nonexistent/hookgate-test-aws-config';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const live = new AbortController().signal;

t.test('regionOf reads queue URLs and ARNs', async (t) => {
  t.equal(regionOf('https://sqs.eu-west-1.amazonaws.com/123456789012/payments.fifo'), 'eu-west-1');
  t.equal(regionOf('https://ap-southeast-2.queue.amazonaws.com/123456789012/q'), 'ap-southeast-2');
  t.equal(regionOf('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q'), 'cn-north-1');
  t.equal(regionOf('arn:aws:sns:us-west-2:123456789012:events'), 'us-west-2');
  t.equal(regionOf('arn:aws:events:eu-central-1:123456789012:event-bus/payments'), 'eu-central-1');
  t.equal(regionOf('http://sqs.us-east-1.localhost:4566/000000000000/q'), undefined);
  t.equal(regionOf('default'), undefined);
});

t.test('with no region anywhere, a send is permanent and says what to set', async (t) => {
  const dest = createDestination(
    'q',
    sqsOptions.parse({
      type: 'sqs',
      queueUrl: 'http://127.0.0.1:9/000000000000/q',
      endpoint: 'http://127.0.0.1:9',
    }),
    { defaultTimeout: 5000 },
  );
  t.teardown(() => dest.close());
  await t.rejects(dest.send(sampleRecord(), live), PermanentError);
  await t.rejects(dest.send(sampleRecord(), live), {
    message: /no region \(set region: on the destination, or AWS_REGION\)/,
  });
});

t.test("a bus ARN's region signs the request when region: is left out", async (t) => {
  const eb = await startEventBridgeEndpoint();
  delete process.env.AWS_REGION; // the endpoint helper sets a default one
  t.teardown(() => eb.close());
  const dest = createDestination(
    'bus',
    eventbridgeOptions.parse({
      type: 'eventbridge',
      endpoint: eb.url,
      eventBusName: 'arn:aws:events:eu-central-1:123456789012:event-bus/payments',
    }),
    { defaultTimeout: 5000 },
  );
  t.teardown(() => dest.close());
  await dest.send(sampleRecord(), live);
  t.match(eb.requests[0]!.headers.authorization, /\/eu-central-1\/events\/aws4_request/);
  t.equal(eb.entries[0]!.EventBusName, 'arn:aws:events:eu-central-1:123456789012:event-bus/payments');
});
