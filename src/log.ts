import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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

/** Keys whose values never reach a log line, at the top of a line or one level down. */
const SECRET_KEYS = ['secret', 'secrets', 'token', 'password'];
const CENSOR = '[redacted]';

export const redactPaths = [
  ...headerPaths('req.headers'),
  ...headerPaths('headers'),
  ...headerPaths('record.requestPayload.headers'),
  ...SECRET_KEYS,
];

/**
 * `{ anything: { secret } }` is censored too, but not by a `*.secret` redact path:
 * pino runs its wildcard redactor on every value of every line (it re-parsed its
 * paths and cloned each value each time, ~3% of the ingress's CPU for a request line
 * of six plain fields). Here a line's objects are looked at once each, and a line of
 * plain values costs a loop over its keys.
 */
function censorNested(line: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in line) {
    const value = line[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Error)
      continue;
    const nested = value as Record<string, unknown>;
    if (!SECRET_KEYS.some((k) => nested[k] !== undefined)) continue;
    // A copy: the caller's object is left as it was.
    const censored = { ...nested };
    for (const k of SECRET_KEYS) if (censored[k] !== undefined) censored[k] = CENSOR;
    (out ??= { ...line })[key] = censored;
  }
  return out ?? line;
}

/** Redaction as every hookgate logger applies it (tests build their loggers with it too). */
export const logRedaction: Pick<LoggerOptions, 'redact' | 'formatters'> = {
  redact: { paths: redactPaths, censor: CENSOR },
  formatters: { log: censorNested },
};

/**
 * `json` (one object per line, for log shippers) everywhere; `hookgate dev` can print
 * `pretty` lines for a person at a terminal instead.
 */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export function createLogger(
  level: LoggerOptions['level'] = 'info',
  options: LoggerOptions = {},
  destination?: DestinationStream,
): Logger {
  const settings: LoggerOptions = {
    level,
    base: { service: 'hookgate' },
    ...logRedaction,
    ...options,
  };
  return destination ? pino(settings, destination) : pino(settings);
}

const LEVELS: Record<number, [name: string, color: number]> = {
  10: ['TRACE', 90],
  20: ['DEBUG', 90],
  30: ['INFO ', 32],
  40: ['WARN ', 33],
  50: ['ERROR', 31],
  60: ['FATAL', 35],
};
/** Said once per process or implied by the time column, so left out of each line. */
const QUIET_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'err']);

/**
 * The `pretty` format: `12:04:05.123 INFO  request source=stripe status=204 …`, an
 * error's stack indented below its line, colours only on a terminal (and not with
 * NO_COLOR). It formats what pino has already serialized and redacted, so it shows
 * exactly what the JSON format would, secrets masked alike. A line that is not JSON
 * passes through unchanged.
 */
export function prettyStream(
  out: NodeJS.WritableStream & { isTTY?: boolean },
  color = out.isTTY === true && !process.env.NO_COLOR,
): DestinationStream {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const [name, code] = LEVELS[entry.level as number] ?? [String(entry.level), 0];
      const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
      const fields = Object.entries(entry)
        .filter(([k, v]) => !QUIET_KEYS.has(k) && v !== undefined)
        .map(([k, v]) => `${paint(2, `${k}=`)}${scalar(v)}`);
      let text = [
        paint(2, time),
        paint(code, name),
        typeof entry.msg === 'string' ? entry.msg : entry.msg === undefined ? '' : JSON.stringify(entry.msg),
        ...fields,
      ].join(' ');
      const err = entry.err as { message?: string; stack?: string } | undefined;
      if (err) {
        const detail = err.stack ?? err.message ?? JSON.stringify(err);
        text += `\n${detail.replace(/^/gm, '    ')}`;
      }
      out.write(`${text}\n`);
    },
  };
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

export type { Logger };
