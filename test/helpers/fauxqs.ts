import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { startFauxqs as startEmulator, type FauxqsServer } from 'fauxqs';
import {
  startFaultyFront,
  useDummyAwsCredentials,
  type AwsCall,
  type AwsFault,
  type EntryFaults,
  type FaultyFront,
} from './aws-faults.js';

/**
 * fauxqs (in-process SQS/SNS emulator) for tests, with a fault-injecting front.
 *
 *   const fq = await startFauxqs();
 *   const url = fq.createQueue('payments.fifo');           // FIFO by the suffix
 *   // destination config: { type: 'sqs', queueUrl: url, endpoint: fq.endpoint, region: fq.region }
 *   const [msg] = await fq.receive(url, 1);                // body + MessageAttributes, deleted
 *   void fq.fail('throttle');                              // the next request through `endpoint` fails
 *   await fq.close();
 *
 * `endpoint` goes through the front; `receive` talks to the emulator directly, so a
 * queued fault is only ever met by the code under test.
 */
export interface Fauxqs {
  /** For destinations: requests pass through the fault-injecting front. */
  readonly endpoint: string;
  /** The emulator itself. */
  readonly directEndpoint: string;
  readonly region: string;
  readonly server: FauxqsServer;
  /** A client on the direct endpoint, for reading back. */
  readonly sqs: SQSClient;
  /** Creates a queue (FIFO when the name ends in `.fifo`); returns its URL. */
  createQueue(name: string): string;
  /** Creates a topic (FIFO when the name ends in `.fifo`); returns its ARN. */
  createTopic(name: string): string;
  /** Subscribes a queue to a topic; raw delivery (the message body is the published message) by default. */
  subscribe(topic: string, queue: string, options?: { raw?: boolean }): void;
  /** Receives (and deletes) until `count` messages have arrived; rejects after `timeoutMs`. */
  receive(queueUrl: string, count: number, timeoutMs?: number): Promise<Message[]>;
  /** The next request through `endpoint` meets `fault`; resolves once it has arrived. */
  fail(fault: AwsFault): Promise<void>;
  /** The next SendMessageBatch through `endpoint` has these entries (by position) fail. */
  failEntries(faults: EntryFaults): void;
  /** Every request through `endpoint`: operation and batch entries. */
  readonly calls: AwsCall[];
  close(): Promise<void>;
}

export async function startFauxqs(): Promise<Fauxqs> {
  useDummyAwsCredentials();
  const region = 'us-east-1';
  const server = await startEmulator({ port: 0, logger: false, host: 'localhost', defaultRegion: region });
  let front: FaultyFront;
  try {
    front = await startFaultyFront(server.address);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const sqs = new SQSClient({
    endpoint: server.address,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // Queues and topics name the FIFO attribute differently (fauxqs's README shows FifoQueue for both; it is wrong for topics).
  const fifo = (name: string, attribute: string) =>
    name.endsWith('.fifo') ? { [attribute]: 'true' } : undefined;

  return {
    endpoint: front.url,
    directEndpoint: server.address,
    region,
    server,
    sqs,
    createQueue: (name) => server.createQueue(name, { attributes: fifo(name, 'FifoQueue') }).queueUrl,
    createTopic: (name) => server.createTopic(name, { attributes: fifo(name, 'FifoTopic') }).topicArn,
    subscribe: (topic, queue, options = {}) =>
      server.subscribe({
        topic,
        queue,
        attributes: { RawMessageDelivery: String(options.raw ?? true) },
      }),
    async receive(queueUrl, count, timeoutMs = 15_000) {
      const out: Message[] = [];
      const until = Date.now() + timeoutMs;
      while (out.length < count) {
        if (Date.now() > until)
          throw new Error(`fauxqs: ${out.length} of ${count} messages after ${timeoutMs}ms`);
        const got = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, count - out.length),
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
            WaitTimeSeconds: 1,
          }),
        );
        for (const m of got.Messages ?? []) {
          out.push(m);
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
      return out;
    },
    fail: (fault) => front.fail(fault),
    failEntries: (faults) => front.failEntries(faults),
    calls: front.calls,
    async close() {
      sqs.destroy();
      await front.close();
      await server.stop();
    },
  };
}
