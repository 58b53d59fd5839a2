import { SendMessageCommand, SQSClient, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { Envelope } from '../record/envelope.js';
import { formatRecord } from '../record/format.js';
import { compileTemplate, type Template } from '../record/template.js';
import { classifyAwsError, clientConfig, fifoFields, messageAttributes, messageInfo } from './aws.js';
import { Deadline } from './deadline.js';
import type { SqsOptions } from './options.js';
import type { Destination, SendResult } from './types.js';

/**
 * SPEC §5 SQS destination, standard or FIFO (by the `.fifo` queue URL). The body is
 * the formatted record as text; a binary `format: body` record travels as base64 with
 * the attribute `hookgate-body-encoding: base64`, since SQS bodies must be text.
 */
export class SqsDestination implements Destination {
  readonly type = 'sqs';
  private readonly client: SQSClient;
  private readonly fifo: boolean;
  private readonly groupId: Template;
  private readonly where: string;

  constructor(
    readonly name: string,
    private readonly options: SqsOptions,
    private readonly timeoutMs: number,
  ) {
    this.client = new SQSClient(clientConfig(options, options.queueUrl));
    this.fifo = options.queueUrl.endsWith('.fifo');
    this.groupId = compileTemplate(options.groupId ?? '{{ source }}');
    this.where = `SQS ${options.queueUrl}`;
  }

  async send(record: Envelope, signal: AbortSignal): Promise<SendResult> {
    const deadline = new Deadline(signal, this.timeoutMs);
    deadline.check();
    const formatted = formatRecord(record, this.options.format);
    const input: SendMessageCommandInput = {
      QueueUrl: this.options.queueUrl,
      MessageBody: formatted.text,
      MessageAttributes: messageAttributes(record, formatted),
    };
    if (this.fifo) Object.assign(input, fifoFields(record, this.name, this.groupId));
    try {
      const out = await this.client.send(new SendMessageCommand(input), { abortSignal: deadline.signal });
      return { info: messageInfo(out) };
    } catch (err) {
      throw classifyAwsError(err, this.where, deadline);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
