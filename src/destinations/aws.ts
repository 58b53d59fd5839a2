import { createHash } from 'node:crypto';
import type { Envelope } from '../record/envelope.js';
import type { FormattedRecord } from '../record/format.js';
import type { Template } from '../record/template.js';
import type { Deadline } from './deadline.js';
import { PermanentError, RetryableError } from './errors.js';
import { Renderer } from './templates.js';

/**
 * Client settings shared by the SQS, SNS and EventBridge destinations. Credentials come
 * from the SDK's default chain (env, profile, SSO, ECS/EC2 role). The SDK's own retries
 * are off: the worker's retry policy (attempts, backoff, dead letters) is the one that
 * counts, and a hidden inner retry would stretch an attempt past its timeout.
 */
export function clientConfig(options: { region?: string; endpoint?: string }, resource: string) {
  const region = options.region ?? regionOf(resource);
  return {
    ...(region ? { region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 1,
  };
}

/**
 * The region a queue URL or ARN names, so `region:` can be left out as on AWS's own
 * consoles; otherwise the SDK's chain (AWS_REGION, profile) decides.
 */
export function regionOf(resource: string): string | undefined {
  const arn = /^arn:[^:]+:[^:]+:([a-z0-9-]+):/.exec(resource);
  if (arn) return arn[1];
  try {
    const host = new URL(resource).hostname;
    return (/^sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host) ??
      /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host))?.[1];
  } catch {
    return undefined;
  }
}

/** Names the AWS SDK itself treats as throttling (smithy's THROTTLING_ERROR_CODES). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
  'KMSThrottlingException',
  'KMS.ThrottlingException',
]);

/** Transient by name: timeouts, clock skew and credentials that may refresh, a KMS key briefly unavailable. */
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestExpired',
  'RequestTimeTooSkewed',
  'RequestInTheFuture',
  'ExpiredToken',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'InternalError',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
  'KMSInternalException',
  'KMS.KMSInternalException',
]);

interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/**
 * AWS errors: throttling, 408, 429, 5xx and network errors are retryable; validation,
 * access, not-found and payload-too-large are permanent. An error the service did not
 * answer (no HTTP status) is a network or client-side failure and is retried.
 */
export function classifyAwsError(err: unknown, where: string, deadline: Deadline): Error {
  if (err instanceof RetryableError || err instanceof PermanentError) return err;
  if (deadline.aborted) return deadline.error(err);
  const e = (err ?? {}) as AwsErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  if (e.message === 'Region is missing') {
    return new PermanentError(`${where}: no region (set region: on the destination, or AWS_REGION)`, {
      cause: err,
    });
  }
  const message = `${where}: ${name}${e.message && e.message !== name ? `: ${e.message}` : ''}`;
  // 408 (request timeout) and 429 are retryable whatever the error is called, as for HTTP.
  if (THROTTLING.has(name) || status === 408 || status === 429 || e.$retryable?.throttling) {
    return new RetryableError(message, { cause: err });
  }
  if (
    TRANSIENT.has(name) ||
    e.$retryable ||
    e.$fault === 'server' ||
    (status !== undefined && status >= 500)
  ) {
    return new RetryableError(message, { cause: err });
  }
  if (status === undefined && e.$fault === undefined) {
    return new RetryableError(`${message}${e.code && e.code !== name ? ` (${e.code})` : ''}`, { cause: err });
  }
  return new PermanentError(message, { cause: err });
}

/**
 * One failed entry of a SendMessageBatch or PublishBatch: the codes a whole call is
 * retried for (throttling, internal errors) are retried here too; otherwise AWS's
 * `SenderFault` decides: the request's fault will fail again, the service's may not.
 */
export function classifyBatchEntryError(
  failed: { Code?: string; Message?: string; SenderFault?: boolean },
  where: string,
): Error {
  const code = failed.Code ?? 'UnknownError';
  const message = `${where}: ${code}${failed.Message && failed.Message !== code ? `: ${failed.Message}` : ''}`;
  if (THROTTLING.has(code) || TRANSIENT.has(code) || !failed.SenderFault) return new RetryableError(message);
  return new PermanentError(message);
}

/** Batch calls (SendMessageBatch, PublishBatch, PutEvents) take at most 10 entries. */
export const BATCH_ENTRIES = 10;
/** The safe total per batch call for SQS, SNS and EventBridge alike: 256 KiB. */
export const BATCH_BYTES = 256 * 1024;
/** How long a delivery waits for others to the same destination before its call goes. */
export const BATCH_LINGER_MS = 2;

/** An SQS or SNS message's size as AWS counts it toward the limits: body plus attribute names, types and values. */
export function messageSize(
  body: string,
  attributes: Record<string, { DataType: string; StringValue: string }>,
): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, a] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8');
    size += Buffer.byteLength(a.StringValue, 'utf8');
  }
  return size;
}

/** Message attributes SQS and SNS carry, so consumers can route and dedupe without parsing the body. */
export function messageAttributes(
  record: Envelope,
  formatted: FormattedRecord,
): Record<string, { DataType: 'String'; StringValue: string }> {
  const attr = (value: string) => ({ DataType: 'String' as const, StringValue: value });
  return {
    'hookgate-event-id': attr(record.id),
    'hookgate-source': attr(record.source),
    'hookgate-condition': attr(record.requestContext.condition),
    'hookgate-content-type': attr(formatted.contentType),
    ...(formatted.base64 ? { 'hookgate-body-encoding': attr('base64') } : {}),
  };
}

/** FIFO ids are at most 128 characters: longer ones become their SHA-256 (same input, same id). */
export function fifoId(value: string): string {
  return value.length <= 128 ? value : createHash('sha256').update(value).digest('hex');
}

/** `MessageDeduplicationId`: the same delivery replayed or retried is deduplicated; another destination's is not. */
export function deduplicationId(record: Envelope, destination: string): string {
  return fifoId(`${record.id}:${destination}`);
}

/** SQS and SNS FIFO fields: the group from the `groupId` template, the deduplication id per destination. */
export function fifoFields(
  record: Envelope,
  destination: string,
  groupId: Template,
): { MessageGroupId: string; MessageDeduplicationId: string } {
  return {
    MessageGroupId: fifoId(new Renderer(record).render(groupId)),
    MessageDeduplicationId: deduplicationId(record, destination),
  };
}

/** What SQS and SNS answered, kept with the delivery. */
export function messageInfo(out: { MessageId?: string; SequenceNumber?: string }): Record<string, unknown> {
  return { messageId: out.MessageId, ...(out.SequenceNumber ? { sequenceNumber: out.SequenceNumber } : {}) };
}
