import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
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
/** Enough of an error response for its excerpt; the rest is read and dropped. */
const ERROR_BODY_BYTES = 4096;
/**
 * An idle keep-alive connection is closed after this long, before the receiver
 * closes it (Node servers after 5 s, most proxies later), so a send rarely meets a
 * connection closed under it. A `keep-alive: timeout=` from the receiver wins, less
 * undici's safety margin (2 s).
 */
const IDLE_SOCKET_MS = 4000;
/** RFC 9110 field-value characters: tab, visible ASCII, space and obs-text (sent as Latin-1). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The HTTP destination, on an undici `Pool` (keep-alive connections, one pool per
 * destination) driven through `dispatch`: about a third of the client CPU per request
 * of `node:http` with a keep-alive agent, and a fifth of global `fetch`'s (bench/http-
 * destination). Redirects are
 * not followed: a 3xx is permanent, because following it would turn a POST into a GET
 * and the receiver would never see the record — the configured URL should be the final one.
 */
export class HttpDestination implements Destination {
  readonly type = 'http';
  /** Errors name the URL without its credentials: no userinfo, query values masked. */
  private readonly where: string;
  private readonly path: string;
  private readonly method: Dispatcher.HttpMethod;
  private readonly pool: Pool;
  private readonly headers: [string, Template][];
  private readonly key?: Buffer;
  /** `https://user:pass@host/...`: credentials in the URL travel as basic auth. */
  private readonly basicAuth?: string;

  constructor(
    readonly name: string,
    private readonly options: HttpOptions,
    private readonly timeoutMs: number,
  ) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`url: ${url.protocol} is not supported (http: or https:)`);
    }
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.basicAuth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.where = `${options.method} ${maskUrl(url)}`;
    this.path = `${url.pathname}${url.search}`;
    this.method = options.method;
    this.pool = new Pool(url.origin, {
      // Unbounded: the worker already caps deliveries in flight per destination.
      connections: null,
      keepAliveTimeout: IDLE_SOCKET_MS,
      // The delivery timeout (Deadline) bounds the whole exchange; undici's own
      // header and body timers (300 s) would only be a second, longer clock.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
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
      'content-length': String(formatted.bytes.length),
      'user-agent': `hookgate/${VERSION}`,
      'hookgate-source': record.source,
      'hookgate-condition': record.requestContext.condition,
    };
    // A custom authorization header wins over credentials in the URL.
    if (this.basicAuth) headers.authorization = this.basicAuth;
    for (const [name, template] of this.headers) {
      const value = renderer.render(template);
      // A value Node would refuse (a line break, a character beyond Latin-1) fails again on every attempt.
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
    const { status, headers: answer, text } = await this.exchange(headers, formatted.bytes, deadline);

    if (status >= 200 && status < 300) return { info: { status } };
    const message = `${this.where} answered ${status}${excerpt(text)}`;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(first(answer['retry-after']));
      throw new RetryableError(message, retryAfterMs === undefined ? { status } : { status, retryAfterMs });
    }
    if (status >= 300 && status < 400) {
      const location = first(answer.location);
      throw new PermanentError(
        `${message} (redirects are not followed${location ? `; location ${location}` : ''})`,
        { status },
      );
    }
    throw new PermanentError(message, { status });
  }

  /**
   * One request, answered when the response has been read to the end (so its
   * connection goes back to the pool); only an error response's start is kept.
   */
  private exchange(
    headers: Record<string, string>,
    body: Buffer,
    deadline: Deadline,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
    return new Promise((resolve, reject) => {
      const where = this.where;
      let status = 0;
      let answer: IncomingHttpHeaders = {};
      let keep = false;
      const chunks: Buffer[] = [];
      let kept = 0;
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let unwatch = () => {};
      const finish = (err: Error | undefined, text = '') => {
        if (settled) return;
        settled = true;
        unwatch();
        if (err) reject(err);
        else resolve({ status, headers: answer, text });
      };
      // undici refused the request itself (a header name that is no token): no retry changes that.
      const refused = (err: Error) =>
        finish(
          new PermanentError(`${where}: the request could not be built (${err.message})`, { cause: err }),
        );
      const failed = (err: Error & { code?: string }) => {
        if (deadline.aborted) return finish(deadline.error(err));
        if (err.code === 'UND_ERR_INVALID_ARG') return refused(err);
        // Socket errors (refused, reset, DNS, TLS) carry their own code; undici's own
        // errors (UND_ERR_*) say more in their message.
        const detail = err.code && !err.code.startsWith('UND_ERR') ? err.code : err.message;
        // Every one may well pass by the next attempt.
        if (status) finish(new RetryableError(`${where}: response cut off (${detail})`, { cause: err }));
        else finish(new RetryableError(`${where}: request failed (${detail})`, { cause: err }));
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          // The deadline passed while the request waited for a connection.
          if (settled) c.abort(deadline.error());
        },
        onResponseStart(_c, statusCode, responseHeaders) {
          status = statusCode;
          answer = responseHeaders;
          keep = statusCode < 200 || statusCode >= 300;
        },
        onResponseData(_c, chunk) {
          if (!keep || kept >= ERROR_BODY_BYTES) return;
          chunks.push(chunk);
          kept += chunk.length;
        },
        onResponseEnd() {
          finish(undefined, keep ? Buffer.concat(chunks).toString('utf8') : '');
        },
        onResponseError(_c, err) {
          failed(err);
        },
      };
      unwatch = deadline.watch(() => {
        // Settle first: aborting makes the request report an error of its own.
        finish(deadline.error());
        controller?.abort(deadline.error());
      });
      try {
        this.pool.dispatch({ path: this.path, method: this.method, headers, body }, handler);
      } catch (err) {
        refused(err as Error);
      }
    });
  }

  close(): Promise<void> {
    // Ends idle connections and any send still in flight (it fails as retryable).
    return this.pool.destroy(new DestinationClosedError());
  }
}

/** What a send in flight fails with when its destination is closed (a worker shutting down). */
class DestinationClosedError extends Error {
  constructor() {
    super('destination closed');
    this.name = 'DestinationClosedError';
  }
}

/** A response header's value, the first if it came more than once. */
function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The URL as errors show it: no userinfo, every query value `***`, no fragment. */
export function maskUrl(url: URL): string {
  const query = url.search
    ? `?${url.search
        .slice(1)
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          return eq < 0 ? pair : `${pair.slice(0, eq)}=***`;
        })
        .join('&')}`
    : '';
  return `${url.protocol}//${url.host}${url.pathname}${query}`;
}

function excerpt(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  return `: ${trimmed.length > ERROR_BODY_CHARS ? `${trimmed.slice(0, ERROR_BODY_CHARS)}…` : trimmed}`;
}

/** `retry-after` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse would read "-5" as a year; a real HTTP-date names its day and month.
  const at = /[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
