/**
 * One catalogue of the errors hookgate answers with. Every error body is
 * `{"error": {"code", "message"}}` and never carries a stack, a secret or a hint of
 * which secret or byte failed (that would help a forger). Every code is listed here,
 * and users find each one in the README's or docs/operations.md's tables
 * (test/errors.test.ts checks both).
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'SIGNATURE_INVALID',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'EVENT_NOT_FOUND',
  'DEAD_LETTER_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'HEADERS_TOO_LARGE',
  'INVALID_CURSOR',
  'UNKNOWN_DESTINATION',
  'DESTINATION_NOT_FOUND',
  'EXPECTATION_FAILED',
  'UNKNOWN_SOURCE',
  'INTERNAL',
  'UPSTREAM_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'EVENT_LOG_UNAVAILABLE',
  'NOT_READY',
  'UPSTREAM_TIMEOUT',
  'DASHBOARD_READ_ONLY',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class HookgateError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, statusCode: number, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HookgateError';
    this.code = code;
    this.statusCode = statusCode;
    this.headers = headers;
  }
  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

function createError(
  code: ErrorCode,
  message: string,
  statusCode: number,
  headers: Record<string, string> = {},
): HookgateError {
  return new HookgateError(code, message, statusCode, headers);
}

export const errors = {
  signatureInvalid: () =>
    createError('SIGNATURE_INVALID', 'The request signature could not be verified.', 401),
  unauthorized: () => createError('UNAUTHORIZED', 'Missing or invalid credentials.', 401),
  notFound: () => createError('NOT_FOUND', 'No source is configured at this path.', 404),
  methodNotAllowed: (allowed: string[]) =>
    createError('METHOD_NOT_ALLOWED', 'This method is not allowed for this source.', 405, {
      allow: allowed.join(', '),
    }),
  payloadTooLarge: (limit: number) =>
    createError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, 413),
  expectationFailed: () =>
    createError('EXPECTATION_FAILED', 'The expectation in the expect header cannot be met.', 417),
  rateLimited: (retryAfterSeconds: number) =>
    createError('RATE_LIMITED', 'Too many requests for this source; retry later.', 429, {
      'retry-after': String(retryAfterSeconds),
    }),
  unavailable: (retryAfterSeconds = 5) =>
    createError('STORE_UNAVAILABLE', 'The event could not be stored; retry later.', 503, {
      'retry-after': String(retryAfterSeconds),
    }),
  /** `redis.ackReplicas`: the write is on the master, but not confirmed by enough replicas in time. */
  replicasNotConfirmed: (retryAfterSeconds = 5) =>
    createError(
      'STORE_UNAVAILABLE',
      'The event could not be confirmed on enough Redis replicas in time; retry later.',
      503,
      { 'retry-after': String(retryAfterSeconds) },
    ),
  badRequest: (message: string) => createError('BAD_REQUEST', message, 400),
  /** Proxy mode: `..` (or `%2e%2e`) segments that would climb out of the source's path. */
  pathOutsideSource: () =>
    createError('BAD_REQUEST', "The path's dot segments lead outside the source's path.", 400),
  /** A request that cannot be parsed (bad URL encoding, framing, content length): always a plain 400. */
  unreadable: () => createError('BAD_REQUEST', 'The request could not be read.', 400),
  headersTooLarge: () => createError('HEADERS_TOO_LARGE', 'The request headers are too large.', 431),
  requestTimeout: () => createError('REQUEST_TIMEOUT', 'The request was not received in time.', 408),
  /** A filter naming a source the config does not have (admin API). */
  unknownSource: (name: string) => createError('UNKNOWN_SOURCE', `No source "${name}" is configured.`, 400),
  upstreamTimeout: () => createError('UPSTREAM_TIMEOUT', 'The upstream did not answer in time.', 504),
  upstreamUnavailable: () => createError('UPSTREAM_UNAVAILABLE', 'The upstream could not be reached.', 502),
  /** `/readyz` while Redis does not answer: take this gateway out of rotation. */
  notReady: () => createError('NOT_READY', 'Redis is not reachable.', 503, { 'retry-after': '5' }),
  internal: () => createError('INTERNAL', 'Internal error.', 500),
  dashboardReadOnly: () =>
    createError(
      'DASHBOARD_READ_ONLY',
      'The queue dashboard is read-only: replay with `hookgate dlq replay` / `hookgate events replay` or the admin API (admin.dashboard.readOnly: false turns its controls on).',
      405,
      { allow: 'GET, HEAD' },
    ),
  // The admin API's own answers.
  adminRouteNotFound: () => createError('NOT_FOUND', 'No admin route at this path.', 404),
  eventNotFound: () => createError('EVENT_NOT_FOUND', 'No event with this id.', 404),
  deadLetterNotFound: () => createError('DEAD_LETTER_NOT_FOUND', 'No dead letter with this id.', 404),
  unknownDestination: (name: string) =>
    createError('UNKNOWN_DESTINATION', `No destination "${name}" is configured.`, 400),
  destinationNotFound: (name: string) =>
    createError('DESTINATION_NOT_FOUND', `No destination "${name}" is configured.`, 404),
  invalidCursor: () => createError('INVALID_CURSOR', 'The cursor is not one this API returned.', 400),
  eventLogUnreachable: () =>
    createError('EVENT_LOG_UNAVAILABLE', 'The event log (PostgreSQL) is not reachable; retry later.', 503, {
      'retry-after': '5',
    }),
  redisUnreachable: () =>
    createError('STORE_UNAVAILABLE', 'Redis is not reachable; retry later.', 503, { 'retry-after': '5' }),
} as const;

/** A usage or configuration problem the CLI reports as one line with exit code 2 (usage) or 1. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0] : `invalid config:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * A list cursor the store did not hand out (dead letters, events): the admin API
 * answers `INVALID_CURSOR` (400), the CLI a usage error (exit 2).
 */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

/**
 * A list parameter (`limit`, `since`, `until`) that cannot be read: the admin API
 * answers `BAD_REQUEST` (400) with the message, the CLI a usage error (exit 2).
 */
export class InvalidParameterError extends Error {
  constructor(
    readonly parameter: string,
    readonly problem: string,
  ) {
    super(`${parameter}: ${problem}`);
    this.name = 'InvalidParameterError';
  }
}
