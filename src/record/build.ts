import { encodeBody } from './body.js';
import type { Condition, Envelope, FunctionError, ResponsePayload } from './envelope.js';

export interface RequestFacts {
  id: string;
  receivedAt: number;
  source: string;
  method: string;
  /** Route pattern for routeKey, e.g. `/hooks/stripe`. */
  routePath: string;
  /** Path as requested, without the query string. */
  path: string;
  rawQueryString: string;
  /** Node's `req.rawHeaders`: name/value pairs as received. */
  rawHeaders: string[];
  /**
   * `collectHeaders(rawHeaders)` when the caller already has it (the ingress builds it
   * to verify): reused instead of rebuilt when no header is dropped.
   */
  headers?: Record<string, string>;
  dropHeaders?: readonly string[];
  body: Buffer | undefined;
  sourceIp: string;
  protocol: string;
  domainName: string;
  verified: boolean;
  verifier: string;
  dedupeKey?: string;
  eventType?: string;
}

export interface ResponseFacts {
  condition: Condition;
  response: ResponsePayload;
  functionError?: FunctionError;
}

/** Lower-case names; repeated headers joined with `,`, as API Gateway's 2.0 payload does. */
export function collectHeaders(rawHeaders: string[], drop: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (drop.includes(name)) continue;
    const value = rawHeaders[i + 1]!;
    out[name] = name in out ? `${out[name]},${value}` : value;
  }
  return out;
}

/** API Gateway 2.0 semantics: repeated parameters joined with `,`. */
export function collectQuery(rawQueryString: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Webhook URLs rarely carry a query: skip URLSearchParams for the empty one.
  if (rawQueryString === '') return out;
  for (const [k, v] of new URLSearchParams(rawQueryString)) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `27/Nov/2026:10:00:00 +0000`, API Gateway's requestContext.time. */
export function apiGatewayTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

export function buildEnvelope(req: RequestFacts, res: ResponseFacts): Envelope {
  const headers =
    req.headers && !req.dropHeaders?.length ? req.headers : collectHeaders(req.rawHeaders, req.dropHeaders);
  const routeKey = `${req.method} ${req.routePath}`;
  return {
    version: '1.0',
    id: req.id,
    timestamp: new Date(req.receivedAt).toISOString(),
    source: req.source,
    requestContext: {
      requestId: req.id,
      condition: res.condition,
      approximateInvokeCount: 1,
      ...(req.dedupeKey !== undefined ? { dedupeKey: req.dedupeKey } : {}),
      ...(req.eventType !== undefined ? { eventType: req.eventType } : {}),
      verified: req.verified,
      verifier: req.verifier,
    },
    requestPayload: {
      version: '2.0',
      routeKey,
      rawPath: req.path,
      rawQueryString: req.rawQueryString,
      headers,
      queryStringParameters: collectQuery(req.rawQueryString),
      requestContext: {
        requestId: req.id,
        routeKey,
        stage: '$default',
        time: apiGatewayTime(req.receivedAt),
        timeEpoch: req.receivedAt,
        domainName: req.domainName,
        http: {
          method: req.method,
          path: req.path,
          protocol: req.protocol,
          sourceIp: req.sourceIp,
          userAgent: headers['user-agent'] ?? '',
        },
      },
      ...encodeBody(req.body),
    },
    responseContext: {
      statusCode: res.response.statusCode,
      ...(res.functionError ? { functionError: res.functionError } : {}),
    },
    responsePayload: res.response,
  };
}
