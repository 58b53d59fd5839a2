import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { BrokenExchange } from './outcome.js';

/** The upstream took longer than `upstream.timeout` (raised on the response too, when it is cut mid-body). */
export class UpstreamTimeoutError extends Error {
  constructor(ms: number) {
    super(`upstream did not answer within ${ms}ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

export interface UpstreamCall {
  method: string;
  /** Path and query on the upstream. */
  path: string;
  headers: OutgoingHttpHeaders;
  /** A buffered body, the caller's body streamed through, or none. */
  body: Buffer | Readable | undefined;
  /** Shown every chunk of a streamed body as it goes by (the record's copy). */
  onBodyChunk?: (chunk: Buffer) => void;
  /** Budget for the whole exchange, from sending the request to the response's last byte. */
  timeoutMs: number;
}

export type Exchange =
  | {
      ok: true;
      /** Destroyed with UpstreamTimeoutError past the budget; the upstream may also hang up mid-body. */
      response: IncomingMessage;
      /** Why the response body ended early, once it has (undefined: it arrived whole, or is still coming). */
      cut(): BrokenExchange | undefined;
      /** Whether the whole request body reached the upstream (the upstream may answer before reading it). */
      bodySent: Promise<boolean>;
    }
  | { ok: false; broken: BrokenExchange; cause: Error; bodySent: Promise<boolean> };

export interface UpstreamClient {
  /** One call: never retried, whatever happens, since the upstream may have acted on it. */
  send(call: UpstreamCall): Promise<Exchange>;
  /** Closes the pooled connections. */
  close(): void;
}

/**
 * Calls to one upstream over a keep-alive pool. Node's agent parks idle sockets
 * and retires them a second before the upstream's `keep-alive: timeout=` hint, which
 * keeps the "reused a socket the server just closed" race rare; when it happens the
 * call fails as a 502 rather than being silently re-sent.
 */
export function createUpstreamClient(url: URL): UpstreamClient {
  const https = url.protocol === 'https:';
  const agent = https
    ? new HttpsAgent({ keepAlive: true, scheduling: 'lifo' })
    : new HttpAgent({ keepAlive: true, scheduling: 'lifo' });
  const request = https ? httpsRequest : httpRequest;
  const port = url.port || (https ? 443 : 80);

  return {
    send(call) {
      return new Promise<Exchange>((resolve) => {
        let settled = false;
        let response: IncomingMessage | undefined;
        const req: ClientRequest = request({
          agent,
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port,
          method: call.method,
          path: call.path,
          headers: call.headers,
        });
        const bodySent = sendBody(req, call);

        const timer = setTimeout(() => {
          const err = new UpstreamTimeoutError(call.timeoutMs);
          if (response) response.destroy(err);
          else fail('Timeout', err);
        }, call.timeoutMs);
        timer.unref();

        function fail(broken: BrokenExchange, cause: Error) {
          clearTimeout(timer);
          req.destroy();
          if (settled) return;
          settled = true;
          resolve({ ok: false, broken, cause, bodySent });
        }

        // After the response, request-side errors (EPIPE on a body the upstream did not
        // want) show up on the response or not at all.
        req.on('error', (err) => {
          if (!response) fail('ConnectionError', err);
        });
        req.on('response', (res) => {
          response = res;
          let cut: BrokenExchange | undefined;
          // Listened to here for good: a response paused by its consumer can still be
          // destroyed by the timer, and an unheard 'error' would bring the process down.
          res.on('error', (err) => {
            cut ??= err instanceof UpstreamTimeoutError ? 'Timeout' : 'ConnectionError';
          });
          res.once('close', () => {
            clearTimeout(timer);
            if (!res.complete) cut ??= 'ConnectionError';
          });
          if (settled) {
            res.destroy();
            return;
          }
          settled = true;
          resolve({ ok: true, response: res, bodySent, cut: () => cut });
        });
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function sendBody(req: ClientRequest, call: UpstreamCall): Promise<boolean> {
  const body = call.body;
  if (body === undefined || Buffer.isBuffer(body)) {
    req.end(body);
    return Promise.resolve(true);
  }
  return new Promise<boolean>((resolve) => {
    const done = (whole: boolean) => {
      body.off('data', onChunk);
      resolve(whole);
    };
    const onChunk = (chunk: Buffer) => call.onBodyChunk?.(chunk);
    if (call.onBodyChunk) body.on('data', onChunk);
    body.once('end', () => done(true));
    // The caller went away mid-upload: the upstream must not wait for the rest.
    body.once('close', () => {
      if (!body.readableEnded) {
        req.destroy(new Error('caller aborted the request body'));
        done(false);
      }
    });
    // The upstream went away (or answered and closed): stop feeding it. What is left
    // of the caller's body is drained by Node once the caller has its answer.
    req.once('close', () => {
      if (body.readableEnded) return;
      body.unpipe(req);
      done(false);
    });
    body.pipe(req);
  });
}
