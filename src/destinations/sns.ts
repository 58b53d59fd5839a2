import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import type { Envelope } from '../record/envelope.js';
import { clientConfig } from './aws.js';
import { MessageSender } from './message-sender.js';
import type { SnsOptions } from './options.js';
import type { Destination, SendResult } from './types.js';

type Entry = Omit<PublishBatchRequestEntry, 'Id'>;

/**
 * SNS destination: the SQS attributes (`hookgate-event-id`, `hookgate-source`,
 * `hookgate-condition`) as message attributes; FIFO topics by
 * the `.fifo` ARN. Deliveries in flight together go as one PublishBatch (see
 * MessageSender).
 */
export class SnsDestination implements Destination {
  readonly type = 'sns';
  private readonly client: SNSClient;
  private readonly sender: MessageSender<Entry>;

  constructor(
    readonly name: string,
    options: SnsOptions,
    timeoutMs: number,
  ) {
    const client = new SNSClient(clientConfig(options, options.topicArn));
    this.client = client;
    this.sender = new MessageSender<Entry>({
      name,
      format: options.format,
      fifo: options.topicArn.endsWith('.fifo'),
      groupId: options.groupId,
      timeoutMs,
      where: `SNS ${options.topicArn}`,
      entry: (body, attributes) => ({ Message: body, MessageAttributes: attributes }),
      call: (entries, signal) =>
        client.send(
          new PublishBatchCommand({ TopicArn: options.topicArn, PublishBatchRequestEntries: entries }),
          { abortSignal: signal },
        ),
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
