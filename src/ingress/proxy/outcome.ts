import type { HookgateError } from '../../errors.js';
import { encodeBody } from '../../record/body.js';
import type { ResponseFacts } from '../../record/build.js';
import type { FunctionError, ResponsePayload } from '../../record/envelope.js';
import type { Capture } from './capture.js';
import { joinHeaders } from './headers.js';

/**
 * How an exchange with the upstream went, in the record's terms (`condition`):
 * `Success` for a 2xx (or a listed `successStatuses` entry), else `Failure`.
 * `functionError` follows AWS, where it marks a failed *function*, not a refused
 * request: `Unhandled` for a 5xx, `Timeout` and `ConnectionError` for the gateway's
 * own 504/502 (or a body cut short). A 4xx is `Failure` without a functionError: the
 * API worked and said no.
 */
export function classify(
  status: number,
  successStatuses: readonly number[] | undefined,
  broken?: 'Timeout' | 'ConnectionError',
): Pick<ResponseFacts, 'condition' | 'functionError'> {
  if (broken) return { condition: 'Failure', functionError: broken };
  const ok = successStatuses ? successStatuses.includes(status) : status >= 200 && status < 300;
  if (ok) return { condition: 'Success' };
  return status >= 500 ? { condition: 'Failure', functionError: 'Unhandled' } : { condition: 'Failure' };
}

/**
 * The upstream's answer as the record keeps it: headers as sent to the caller (repeated
 * ones joined with `,`, set-cookies also listed one by one), body up to `maxResponseBody`.
 */
export function upstreamPayload(
  status: number,
  headers: readonly [string, string][],
  body: Capture,
  isHead: boolean,
): ResponsePayload {
  const bytes = body.bytes();
  const encoded = bytes.length === 0 && !body.truncated ? emptyBody(status, isHead) : encodeBody(bytes);
  const cookies = headers.filter(([name]) => name === 'set-cookie').map(([, value]) => value);
  return {
    statusCode: status,
    headers: joinHeaders(headers),
    ...encoded,
    truncated: body.truncated,
    ...(cookies.length ? { cookies } : {}),
  };
}

/** The gateway's own answer (502/504) as the record keeps it. */
export function errorPayload(error: HookgateError): ResponsePayload {
  return {
    statusCode: error.statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(error.toJSON()),
    isBase64Encoded: false,
    truncated: false,
  };
}

/** An empty 200 has an empty body (`""`); a 204/304 or an answer to HEAD has none (`null`). */
function emptyBody(status: number, isHead: boolean): { body: string | null; isBase64Encoded: boolean } {
  const none = isHead || status === 204 || status === 304;
  return none ? { body: null, isBase64Encoded: false } : encodeBody(Buffer.alloc(0));
}

export type BrokenExchange = Extract<FunctionError, 'Timeout' | 'ConnectionError'>;
