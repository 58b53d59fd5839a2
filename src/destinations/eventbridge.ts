import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { Envelope } from '../record/envelope.js';
import { formatRecord, type FormattedRecord } from '../record/format.js';
import { compileTemplate, type Template } from '../record/template.js';
import { BATCH_BYTES, BATCH_ENTRIES, BATCH_LINGER_MS, classifyAwsError, clientConfig } from './aws.js';
import { Batcher } from './batcher.js';
import { Deadline } from './deadline.js';
import { PermanentError, RetryableError } from './errors.js';
import type { EventBridgeOptions } from './options.js';
import { Renderer } from './templates.js';
import type { Destination, SendResult } from './types.js';

/** Entry error codes PutEvents documents as transient; any other code will fail again. */
const RETRYABLE_ENTRY_ERRORS = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
]);

/**
 * EventBridge destination: one PutEvents entry per delivery. `Detail` is the
 * formatted record, sent as is (so it must be a JSON object), `Time` the receipt time,
 * and `Resources` carries the event id itself, so receivers dedupe on it.
 * Deliveries in flight together share one PutEvents call (up to 10 entries, 256 KiB as
 * AWS counts entry sizes). PutEvents answers 200 even when entries failed, so each
 * entry's own result decides its delivery.
 */
export class EventBridgeDestination implements Destination {
  readonly type = 'eventbridge';
  private readonly client: EventBridgeClient;
  private readonly source: Template;
  private readonly detailType: Template;
  private readonly where: string;
  private readonly batcher: Batcher<PutEventsRequestEntry, SendResult>;

  constructor(
    readonly name: string,
    private readonly options: EventBridgeOptions,
    private readonly timeoutMs: number,
  ) {
    this.client = new EventBridgeClient(clientConfig(options, options.eventBusName));
    this.source = compileTemplate(options.source);
    this.detailType = compileTemplate(options.detailType);
    this.where = `EventBridge bus ${options.eventBusName}`;
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
    const detail = jsonObjectText(formatted);
    const renderer = new Renderer(record);
    const entry = {
      EventBusName: this.options.eventBusName,
      Source: renderer.render(this.source),
      DetailType: renderer.render(this.detailType),
      Detail: detail,
      Time: new Date(record.timestamp),
      Resources: [record.id],
    };
    return this.batcher.add(entry, entrySize(entry), deadline);
  }

  private async sendBatch(
    entries: PutEventsRequestEntry[],
    signal: AbortSignal,
  ): Promise<(SendResult | Error)[]> {
    const out = await this.client.send(new PutEventsCommand({ Entries: entries }), { abortSignal: signal });
    // Results come in the order of the entries.
    return entries.map((_, i) => this.outcome(out.Entries?.[i]));
  }

  private outcome(result: PutEventsResultEntry | undefined): SendResult | Error {
    if (result?.EventId && !result.ErrorCode) return { info: { eventId: result.EventId } };
    const code = result?.ErrorCode ?? 'UnknownError';
    const message = `${this.where}: entry rejected: ${code}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ''}`;
    if (RETRYABLE_ENTRY_ERRORS.has(code)) return new RetryableError(message);
    return new PermanentError(message);
  }

  close(): Promise<void> {
    this.batcher.close();
    this.client.destroy();
    return Promise.resolve();
  }
}

/**
 * An entry's size as AWS documents it for the PutEvents limit ("Calculating PutEvents
 * event entry size"): 14 bytes for Time, plus the UTF-8 bytes of Source, DetailType,
 * Detail and each resource.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  let size = entry.Time ? 14 : 0;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += bytes(resource);
  return size;
}

/** EventBridge takes only a JSON object as Detail; checked here so the error names the cause. */
function jsonObjectText(formatted: FormattedRecord): string {
  if (formatted.base64) {
    throw new PermanentError(
      'EventBridge Detail must be a JSON object; the body is binary (use format: envelope)',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(formatted.text);
  } catch {
    throw new PermanentError(
      `EventBridge Detail must be a JSON object; the ${formatted.format} is not JSON (use format: envelope)`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PermanentError(
      `EventBridge Detail must be a JSON object; the ${formatted.format} is JSON but not an object (use format: envelope)`,
    );
  }
  return formatted.text;
}
