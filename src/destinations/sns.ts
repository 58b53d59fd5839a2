import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import type { Envelope } from '../record/envelope.js';
import { formatRecord } from '../record/format.js';
import { compileTemplate, type Template } from '../record/template.js';
import { classifyAwsError, clientConfig, fifoFields, messageAttributes, messageInfo } from './aws.js';
import { Deadline } from './deadline.js';
import type { SnsOptions } from './options.js';
import type { Destination, SendResult } from './types.js';

/** SPEC §5 SNS destination: the SQS attributes as message attributes; FIFO topics by the `.fifo` ARN. */
export class SnsDestination implements Destination {
  readonly type = 'sns';
  private readonly client: SNSClient;
  private readonly fifo: boolean;
  private readonly groupId: Template;
  private readonly where: string;

  constructor(
    readonly name: string,
    private readonly options: SnsOptions,
    private readonly timeoutMs: number,
  ) {
    this.client = new SNSClient(clientConfig(options, options.topicArn));
    this.fifo = options.topicArn.endsWith('.fifo');
    this.groupId = compileTemplate(options.groupId ?? '{{ source }}');
    this.where = `SNS ${options.topicArn}`;
  }

  async send(record: Envelope, signal: AbortSignal): Promise<SendResult> {
    const deadline = new Deadline(signal, this.timeoutMs);
    deadline.check();
    const formatted = formatRecord(record, this.options.format);
    const input: PublishCommandInput = {
      TopicArn: this.options.topicArn,
      Message: formatted.text,
      MessageAttributes: messageAttributes(record, formatted),
    };
    if (this.fifo) Object.assign(input, fifoFields(record, this.name, this.groupId));
    try {
      const out = await this.client.send(new PublishCommand(input), { abortSignal: deadline.signal });
      return { info: messageInfo(out) };
    } catch (err) {
      throw classifyAwsError(err, this.where, deadline);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
