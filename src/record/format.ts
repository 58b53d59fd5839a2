import { decodeBody } from './body.js';
import type { Envelope } from './envelope.js';

/** What a destination delivers: the whole record, the provider's raw body unchanged, or only `requestPayload`. */
export type RecordFormat = 'envelope' | 'body' | 'request';

export interface FormattedRecord {
  format: RecordFormat;
  /** The exact bytes to deliver over a byte-safe transport (HTTP). */
  bytes: Buffer;
  contentType: string;
  /**
   * The same record for text-only transports (SQS, SNS, EventBridge): the bytes as
   * UTF-8, or their base64 when `base64` is true (a binary body in `format: body`).
   */
  text: string;
  base64: boolean;
}

const JSON_TYPE = 'application/json';

export function formatRecord(envelope: Envelope, format: RecordFormat): FormattedRecord {
  if (format === 'body') {
    const payload = envelope.requestPayload;
    const contentType = payload.headers['content-type'] ?? 'application/octet-stream';
    return {
      format,
      bytes: decodeBody(payload),
      contentType,
      text: payload.body ?? '',
      base64: payload.isBase64Encoded,
    };
  }
  const text = JSON.stringify(format === 'request' ? envelope.requestPayload : envelope);
  return { format, bytes: Buffer.from(text, 'utf8'), contentType: JSON_TYPE, text, base64: false };
}
