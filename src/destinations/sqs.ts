import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Envelope } from '../record/envelope.js';
import { formatRecord } from '../record/format.js';
import { compileTemplate, type Template } from '../record/template.js';
import {
  BATCH_BYTES,
  BATCH_ENTRIES,
  BATCH_LINGER_MS,
  classifyAwsError,
  classifyBatchEntryError,
  clientConfig,
  fifoFields,
  messageAttributes,
  messageInfo,
  messageSize,
} from './aws.js';
import { Batcher } from './batcher.js';
import { Deadline } from './deadline.js';
import type { SqsOptions } from './options.js';
import type { Destination, SendResult } from './types.js';

type Entry = Omit<SendMessageBatchRequestEntry, 'Id'>;

/**
 * SPEC §5 SQS destination, standard or FIFO (by the `.fifo` queue URL). The body is
 * the formatted record as text; a binary `format: body` record travels as base64 with
 * the attribute `hookgate-body-encoding: base64`, since SQS bodies must be text.
 * Deliveries in flight together go as one SendMessageBatch (up to 10, 256 KiB), each
 * entry's result read on its own; FIFO order within a group is the entry order.
 */
export class SqsDestination implements Destination {
  readonly type = 'sqs';
  private readonly client: SQSClient;
  private readonly fifo: boolean;
  private readonly groupId: Template;
  private readonly where: string;
  private readonly batcher: Batcher<Entry, SendResult>;

  constructor(
    readonly name: string,
    private readonly options: SqsOptions,
    private readonly timeoutMs: number,
  ) {
    this.client = new SQSClient(clientConfig(options, options.queueUrl));
    this.fifo = options.queueUrl.endsWith('.fifo');
    this.groupId = compileTemplate(options.groupId ?? '{{ source }}');
    this.where = `SQS ${options.queueUrl}`;
    this.batcher = new Batcher({
      maxEntries: BATCH_ENTRIES,
      maxBytes: BATCH_BYTES,
      lingerMs: BATCH_LINGER_MS,
      timeoutMs,
      send: (entries, signal) => this.sendBatch(entries, signal),
      callError: (err, deadline) => classifyAwsError(err, this.where, deadline),
    });
  }

  async send(record: Envelope, signal: AbortSignal): Promise<SendResult> {
    const deadline = new Deadline(signal, this.timeoutMs);
    deadline.check();
    const formatted = formatRecord(record, this.options.format);
    const attributes = messageAttributes(record, formatted);
    const entry: Entry = { MessageBody: formatted.text, MessageAttributes: attributes };
    if (this.fifo) Object.assign(entry, fifoFields(record, this.name, this.groupId));
    return this.batcher.add(entry, messageSize(formatted.text, attributes), deadline);
  }

  private async sendBatch(entries: Entry[], signal: AbortSignal): Promise<(SendResult | Error)[]> {
    const out = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.options.queueUrl,
        Entries: entries.map((e, i) => ({ ...e, Id: String(i) })),
      }),
      { abortSignal: signal },
    );
    const results: (SendResult | Error)[] = [];
    for (const ok of out.Successful ?? []) results[Number(ok.Id)] = { info: messageInfo(ok) };
    for (const failed of out.Failed ?? [])
      results[Number(failed.Id)] = classifyBatchEntryError(failed, this.where);
    return results;
  }

  async close(): Promise<void> {
    this.batcher.close();
    this.client.destroy();
  }
}
