import type { Envelope } from '../record/envelope.js';
import { formatRecord, type RecordFormat } from '../record/format.js';
import { compileTemplate, type Template } from '../record/template.js';
import {
  BATCH_BYTES,
  BATCH_ENTRIES,
  BATCH_LINGER_MS,
  classifyAwsError,
  classifyBatchEntryError,
  fifoFields,
  messageAttributes,
  messageInfo,
  messageSize,
} from './aws.js';
import { Batcher } from './batcher.js';
import { Deadline } from './deadline.js';
import type { SendResult } from './types.js';

type Attributes = ReturnType<typeof messageAttributes>;

/** One batch call's answer, as SendMessageBatch and PublishBatch both give it. */
export interface BatchAnswer {
  Successful?: { Id?: string; MessageId?: string; SequenceNumber?: string }[];
  Failed?: { Id?: string; Code?: string; Message?: string; SenderFault?: boolean }[];
}

export interface MessageSenderOptions<E> {
  /** The destination's name (part of the FIFO deduplication id). */
  name: string;
  format: RecordFormat;
  /** FIFO queue or topic: group and deduplication ids on every entry. */
  fifo: boolean;
  groupId: string | undefined;
  timeoutMs: number;
  /** `SQS <queue url>` / `SNS <topic arn>`, for error messages. */
  where: string;
  /** The service's entry for a message body and its attributes. */
  entry(body: string, attributes: Attributes): E;
  /** One batch call with ids `0..n-1`. */
  call(entries: (E & { Id: string })[], signal: AbortSignal): Promise<BatchAnswer>;
}

/**
 * SQS and SNS deliveries: the formatted record as the message, the attributes
 * `hookgate-event-id`, `hookgate-source` and `hookgate-condition`,
 * FIFO group and deduplication ids, and deliveries in flight together sent as one
 * batch call (up to 10, 256 KiB) whose entries succeed or fail one by one. The two
 * services differ only in the entry's field names and the call, which their
 * destinations supply.
 */
export class MessageSender<E> {
  private readonly groupId: Template;
  private readonly batcher: Batcher<E, SendResult>;

  constructor(private readonly options: MessageSenderOptions<E>) {
    this.groupId = compileTemplate(options.groupId ?? '{{ source }}');
    this.batcher = new Batcher({
      maxEntries: BATCH_ENTRIES,
      maxBytes: BATCH_BYTES,
      lingerMs: BATCH_LINGER_MS,
      timeoutMs: options.timeoutMs,
      send: (entries, signal) => this.sendBatch(entries, signal),
      callError: (err, deadline) => classifyAwsError(err, options.where, deadline),
    });
  }

  async send(record: Envelope, signal: AbortSignal): Promise<SendResult> {
    const deadline = new Deadline(signal, this.options.timeoutMs);
    deadline.check();
    const formatted = formatRecord(record, this.options.format);
    const attributes = messageAttributes(record, formatted);
    const entry = this.options.entry(formatted.text, attributes);
    if (this.options.fifo)
      Object.assign(entry as object, fifoFields(record, this.options.name, this.groupId));
    return this.batcher.add(entry, messageSize(formatted.text, attributes), deadline);
  }

  close(): void {
    this.batcher.close();
  }

  private async sendBatch(entries: E[], signal: AbortSignal): Promise<(SendResult | Error)[]> {
    const out = await this.options.call(
      entries.map((e, i) => ({ ...e, Id: String(i) })),
      signal,
    );
    const results: (SendResult | Error)[] = [];
    for (const ok of out.Successful ?? []) results[Number(ok.Id)] = { info: messageInfo(ok) };
    for (const failed of out.Failed ?? []) {
      results[Number(failed.Id)] = classifyBatchEntryError(failed, this.options.where);
    }
    return results;
  }
}
