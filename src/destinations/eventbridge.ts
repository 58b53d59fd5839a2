import { EventBridgeClient, PutEventsCommand, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { Envelope } from '../record/envelope.js';
import { formatRecord, type FormattedRecord } from '../record/format.js';
import { compileTemplate, type Template } from '../record/template.js';
import { classifyAwsError, clientConfig } from './aws.js';
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
 * SPEC §5 EventBridge destination: one PutEvents entry per delivery. `Detail` is the
 * formatted record, sent as is (so it must be a JSON object), `Time` the receipt time,
 * and `Resources` carries the event id itself, so receivers dedupe on it (SPEC §5).
 * PutEvents answers 200 even when the entry failed, so the entry result decides.
 */
export class EventBridgeDestination implements Destination {
  readonly type = 'eventbridge';
  private readonly client: EventBridgeClient;
  private readonly source: Template;
  private readonly detailType: Template;
  private readonly where: string;

  constructor(
    readonly name: string,
    private readonly options: EventBridgeOptions,
    private readonly timeoutMs: number,
  ) {
    this.client = new EventBridgeClient(clientConfig(options, options.eventBusName));
    this.source = compileTemplate(options.source);
    this.detailType = compileTemplate(options.detailType);
    this.where = `EventBridge bus ${options.eventBusName}`;
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
    let result: PutEventsResultEntry | undefined;
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: [entry] }), {
        abortSignal: deadline.signal,
      });
      result = out.Entries?.[0];
      if (!out.FailedEntryCount && result?.EventId) return { info: { eventId: result.EventId } };
    } catch (err) {
      throw classifyAwsError(err, this.where, deadline);
    }
    const code = result?.ErrorCode ?? 'UnknownError';
    const message = `${this.where}: entry rejected: ${code}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ''}`;
    if (RETRYABLE_ENTRY_ERRORS.has(code)) throw new RetryableError(message);
    throw new PermanentError(message);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
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
