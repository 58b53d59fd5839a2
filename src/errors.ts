/**
 * One catalogue of the errors hookgate answers with. Every error body is
 * `{"error": {"code", "message"}}` and never carries a stack, a secret or a hint of
 * which secret or byte failed (that would help a forger).
 */
export class HookgateError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  constructor(code: string, message: string, statusCode: number, headers: Record<string, string> = {}) {
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

export function createError(
  code: string,
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
  rateLimited: (retryAfterSeconds: number) =>
    createError('RATE_LIMITED', 'Too many requests for this source; retry later.', 429, {
      'retry-after': String(retryAfterSeconds),
    }),
  unavailable: (retryAfterSeconds = 5) =>
    createError('STORE_UNAVAILABLE', 'The event could not be stored; retry later.', 503, {
      'retry-after': String(retryAfterSeconds),
    }),
  badRequest: (message: string) => createError('BAD_REQUEST', message, 400),
  /** A filter naming a source the config does not have (admin API). */
  unknownSource: (name: string) => createError('UNKNOWN_SOURCE', `No source "${name}" is configured.`, 400),
  upstreamTimeout: () => createError('UPSTREAM_TIMEOUT', 'The upstream did not answer in time.', 504),
  upstreamUnavailable: () => createError('UPSTREAM_UNAVAILABLE', 'The upstream could not be reached.', 502),
  internal: () => createError('INTERNAL', 'Internal error.', 500),
  dashboardReadOnly: () =>
    createError(
      'DASHBOARD_READ_ONLY',
      'The queue dashboard is read-only: replay with `hookgate dlq replay` / `hookgate events replay` or the admin API (admin.dashboard.readOnly: false turns its controls on).',
      405,
      { allow: 'GET, HEAD' },
    ),
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
