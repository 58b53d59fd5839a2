/**
 * The record: mirrors the AWS Lambda Destinations invocation record, with
 * `requestPayload` an API Gateway HTTP API (payload format 2.0) event, so code written
 * for Lambda consumes it unchanged.
 */
export type Condition = 'Success' | 'Failure';
export type FunctionError = 'Timeout' | 'ConnectionError' | 'Unhandled';

export interface RequestPayload {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  queryStringParameters: Record<string, string>;
  requestContext: {
    requestId: string;
    routeKey: string;
    stage: '$default';
    time: string;
    timeEpoch: number;
    domainName: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
  };
  body: string | null;
  isBase64Encoded: boolean;
  /** proxy mode, on a sub-path (routeKey `… /{proxy+}`): `{ proxy: "<the sub-path>" }`, as API Gateway sets it. */
  pathParameters?: { proxy: string };
  /** proxy mode: a body streamed to the upstream was longer than `server.bodyLimit` and was cut. */
  truncated?: boolean;
}

export interface ResponsePayload {
  statusCode: number;
  headers: Record<string, string>;
  body: string | null;
  isBase64Encoded: boolean;
  /** proxy mode: the upstream body was longer than `maxResponseBody` and was cut. */
  truncated?: boolean;
  /**
   * proxy mode: each `set-cookie` of the upstream's answer, as Lambda's response format
   * 2.0 keeps them (`headers['set-cookie']` joins them with `,`, which cookie dates make
   * ambiguous). Present only when the upstream set a cookie.
   */
  cookies?: string[];
}

export interface Envelope {
  version: '1.0';
  id: string;
  timestamp: string;
  source: string;
  requestContext: {
    requestId: string;
    condition: Condition;
    approximateInvokeCount: number;
    dedupeKey?: string;
    /** The provider's event type (`invoice.paid`), or the one the source's `eventType` names. */
    eventType?: string;
    verified: boolean;
    verifier: string;
  };
  requestPayload: RequestPayload;
  responseContext: { statusCode: number; functionError?: FunctionError };
  responsePayload: ResponsePayload;
}
