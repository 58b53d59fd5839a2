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

/**
 * The JSON a record was read from, for records that are never changed once read:
 * the worker's records, each loaded once and sent to all its routes as it was stored
 * (attempt 1, `approximateInvokeCount` as written). Delivering them in `envelope`
 * format sends those bytes instead of serialising the record again, and every format
 * of such a record is made once however many destinations take it (JSON.stringify of a
 * 3 KB record costs some 30 µs, on each delivery). A record not kept here is formatted
 * afresh each time, so code that changes a record it formats stays correct.
 */
const storedJson = new WeakMap<Envelope, Buffer>();
const formats = new WeakMap<Envelope, Partial<Record<RecordFormat, FormattedRecord>>>();

/** Promises that `envelope` is `json` parsed and will not be changed (see storedJson). */
export function keepStoredJson(envelope: Envelope, json: Buffer): void {
  storedJson.set(envelope, json);
}

export function storedJsonOf(envelope: Envelope): Buffer | undefined {
  return storedJson.get(envelope);
}

export function formatRecord(envelope: Envelope, format: RecordFormat): FormattedRecord {
  const json = storedJson.get(envelope);
  if (!json) return formatAfresh(envelope, format, undefined);
  let made = formats.get(envelope);
  if (!made) formats.set(envelope, (made = {}));
  return (made[format] ??= formatAfresh(envelope, format, json));
}

function formatAfresh(envelope: Envelope, format: RecordFormat, json: Buffer | undefined): FormattedRecord {
  if (json && format === 'envelope') {
    return { format, bytes: json, contentType: JSON_TYPE, text: json.toString('utf8'), base64: false };
  }
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
