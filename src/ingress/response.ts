import type { SourceConfig } from '../config/schema.js';
import type { ResponsePayload } from '../record/envelope.js';

/** What an accepted request is answered with; computed once per source. */
export interface AckResponse {
  status: number;
  headers: Record<string, string>;
  body: string | undefined;
  /** The same answer as the record's `responsePayload`. */
  payload: ResponsePayload;
}

/**
 * The source's `response: {status, body, headers}`, or 204. A string body is sent
 * as is (text/plain unless a content-type is configured), anything else as JSON.
 */
export function ackResponse(configured: SourceConfig['response']): AckResponse {
  const status = configured?.status ?? 204;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(configured?.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  const value = configured?.body;
  if (value !== undefined && value !== null && status !== 204) {
    body = typeof value === 'string' ? value : JSON.stringify(value);
    headers['content-type'] ??=
      typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  }
  return {
    status,
    headers,
    body,
    payload: { statusCode: status, headers, body: body ?? null, isBase64Encoded: false },
  };
}
