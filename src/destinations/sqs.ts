import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Envelope } from '../record/envelope.js';
import { clientConfig } from './aws.js';
import { MessageSender } from './message-sender.js';
import type { SqsOptions } from './options.js';
import type { Destination, SendResult } from './types.js';

type Entry = Omit<SendMessageBatchRequestEntry, 'Id'>;

/**
 * SQS destination, standard or FIFO (by the `.fifo` queue URL). The body is
 * the formatted record as text; a binary `format: body` record travels as base64 with
 * the attribute `hookgate-body-encoding: base64`, since SQS bodies must be text.
 * Deliveries in flight together go as one SendMessageBatch (see MessageSender); FIFO
 * order within a group is the entry order.
 */
export class SqsDestination implements Destination {
  readonly type = 'sqs';
  private readonly client: SQSClient;
  private readonly sender: MessageSender<Entry>;

  constructor(
    readonly name: string,
    options: SqsOptions,
    timeoutMs: number,
  ) {
    const client = new SQSClient(clientConfig(options, options.queueUrl));
    this.client = client;
    this.sender = new MessageSender<Entry>({
      name,
      format: options.format,
      fifo: options.queueUrl.endsWith('.fifo'),
      groupId: options.groupId,
      timeoutMs,
      where: `SQS ${options.queueUrl}`,
      entry: (body, attributes) => ({ MessageBody: body, MessageAttributes: attributes }),
      call: (entries, signal) =>
        client.send(new SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }), {
          abortSignal: signal,
        }),
    });
  }

  async send(record: Envelope, signal: AbortSignal): Promise<SendResult> {
    return this.sender.send(record, signal);
  }

  close(): Promise<void> {
    this.sender.close();
    this.client.destroy();
    return Promise.resolve();
  }
}
