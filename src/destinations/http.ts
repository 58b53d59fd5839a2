import { VERSION } from '../version.js';
import type { Envelope } from '../record/envelope.js';
import { formatRecord } from '../record/format.js';
import { compileTemplate, type Template } from '../record/template.js';
import { Deadline } from './deadline.js';
import { PermanentError, RetryableError } from './errors.js';
import type { HttpOptions } from './options.js';
import { signStandardWebhook, standardWebhookKey } from './standard-webhooks.js';
import { Renderer } from './templates.js';
import type { Destination, SendResult } from './types.js';

const ERROR_BODY_CHARS = 200;
/** RFC 9110 field-value characters: tab, visible ASCII, space and obs-text (fetch sends Latin-1). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * HTTP destination. Redirects are not followed: a 3xx is permanent, because
 * fetch would turn a redirected POST into a GET and the receiver would never see the
 * record — the configured URL should be the final one.
 */
export class HttpDestination implements Destination {
  readonly type = 'http';
  private readonly url: URL;
  /** Error messages name only the origin: webhook URLs often carry a secret in the path. */
  private readonly where: string;
  private readonly headers: [string, Template][];
  private readonly key?: Buffer;
  /** `https://user:pass@host/...`: fetch refuses credentials in a URL, so they travel as basic auth. */
  private readonly basicAuth?: string;

  constructor(
    readonly name: string,
    private readonly options: HttpOptions,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(options.url);
    if (this.url.username || this.url.password) {
      const user = decodeURIComponent(this.url.username);
      const password = decodeURIComponent(this.url.password);
      this.basicAuth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      this.url.username = '';
      this.url.password = '';
    }
    this.where = `${options.method} ${this.url.origin}`;
    this.headers = Object.entries(options.headers).map(([k, v]) => [k.toLowerCase(), compileTemplate(v)]);
    if (options.sign) this.key = standardWebhookKey(options.sign.secret);
  }

  async send(record: Envelope, signal: AbortSignal): Promise<SendResult> {
    const deadline = new Deadline(signal, this.timeoutMs);
    deadline.check();
    const formatted = formatRecord(record, this.options.format);
    const renderer = new Renderer(record);
    const headers: Record<string, string> = {
      'content-type': formatted.contentType,
      'user-agent': `hookgate/${VERSION}`,
      'hookgate-source': record.source,
      'hookgate-condition': record.requestContext.condition,
    };
    // A custom authorization header wins over credentials in the URL.
    if (this.basicAuth) headers.authorization = this.basicAuth;
    for (const [name, template] of this.headers) {
      const value = renderer.render(template);
      // A value fetch would refuse (a line break, a character beyond Latin-1) fails again on every attempt.
      if (!HEADER_VALUE.test(value)) {
        throw new PermanentError(`header "${name}": the rendered value is not a valid HTTP header value`);
      }
      headers[name] = value;
    }
    // Set last: a custom header must not be able to break the receiver's dedupe or signature check.
    headers['webhook-id'] = record.id;
    if (this.key) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers['webhook-timestamp'] = String(timestamp);
      headers['webhook-signature'] = signStandardWebhook(this.key, record.id, timestamp, formatted.bytes);
    }

    let response: Response;
    try {
      response = await fetch(this.url, {
        method: this.options.method,
        headers,
        // Buffer is a Uint8Array; the DOM typings only want one backed by a plain ArrayBuffer.
        body: formatted.bytes as Uint8Array<ArrayBuffer>,
        redirect: 'manual',
        signal: deadline.signal,
      });
    } catch (err) {
      if (deadline.aborted) throw deadline.error(err);
      throw classifyFetchError(err, this.where);
    }

    let text: string;
    try {
      // Read to the end so the keep-alive connection can be reused.
      text = await response.text();
    } catch (err) {
      if (deadline.aborted) throw deadline.error(err);
      throw new RetryableError(`${this.where}: response cut off (${(err as Error).message})`, { cause: err });
    }

    const status = response.status;
    if (status >= 200 && status < 300) return { info: { status } };
    const message = `${this.where} answered ${status}${excerpt(text)}`;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new RetryableError(message, retryAfterMs === undefined ? {} : { retryAfterMs });
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.get('location');
      throw new PermanentError(
        `${message} (redirects are not followed${location ? `; location ${location}` : ''})`,
      );
    }
    throw new PermanentError(message);
  }

  async close(): Promise<void> {
    // Connections belong to fetch's global pool, which closes idle sockets itself.
  }
}

function excerpt(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  return `: ${trimmed.length > ERROR_BODY_CHARS ? `${trimmed.slice(0, ERROR_BODY_CHARS)}…` : trimmed}`;
}

/**
 * fetch rejects with TypeError('fetch failed') and the socket error as cause: all
 * transient. Any other error means the request could not even be built, which no
 * retry changes.
 */
function classifyFetchError(err: unknown, where: string): Error {
  if (err instanceof TypeError && err.message !== 'fetch failed') {
    return new PermanentError(`${where}: the request could not be built (${err.message})`, { cause: err });
  }
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error).message;
  return new RetryableError(`${where}: request failed (${detail})`, { cause: err });
}

/** `retry-after` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse would read "-5" as a year; a real HTTP-date names its day and month.
  const at = /[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
