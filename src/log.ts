import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Secrets never reach the logs: credentials and every provider signature header are
 * redacted wherever a request's headers are logged.
 */
export const REDACTED_HEADERS = [
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
  'x-api-key',
  'stripe-signature',
  'x-slack-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-shopify-hmac-sha256',
  'shopify-hmac-sha256',
  'webhook-signature',
  'svix-signature',
  'x-twilio-signature',
  'paddle-signature',
  'x-square-hmacsha256-signature',
  'x-square-signature',
];

const headerPaths = (prefix: string) => REDACTED_HEADERS.map((h) => `${prefix}["${h}"]`);

export const redactPaths = [
  ...headerPaths('req.headers'),
  ...headerPaths('headers'),
  ...headerPaths('record.requestPayload.headers'),
  'secret',
  'secrets',
  'token',
  'password',
  '*.secret',
  '*.secrets',
  '*.token',
  '*.password',
];

export function createLogger(level: LoggerOptions['level'] = 'info', options: LoggerOptions = {}): Logger {
  return pino({
    level,
    base: { service: 'hookgate' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...options,
  });
}

export type { Logger };
