import { once, EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A real HTTP server standing in for a webhook receiver. It records every request and
 * answers from a script: queued replies first (one per request), then the fallback.
 *
 *   const rx = await startHttpReceiver({ secret: 'whsec_...' });
 *   rx.reply({ status: 500 }, { status: 200 });    // 500 then 200
 *   rx.reply({ status: 429, headers: { 'retry-after': '7' } });
 *   rx.reply('stall');                             // never answers
 *   rx.reply('drop');                              // resets the connection
 *   const [req] = await rx.waitForRequests(1);     // req.body, req.headers, req.signature
 *   await rx.close();
 */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'stall' | 'drop';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as requested. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** When it arrived (epoch ms, the body read). */
  at: number;
  /** Only when the receiver has a secret: the `standardwebhooks` package's verdict. */
  signature?: { valid: true } | { valid: false; error: string };
}

export interface HttpReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Queues replies for the next requests, in order. */
  reply(...replies: Reply[]): void;
  /** What every request gets once the queued replies are used up (default 200). */
  setFallback(reply: Reply): void;
  /** Resolves once at least `count` requests have arrived (rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export interface HttpReceiverOptions {
  /** Verify Standard Webhooks signatures: `whsec_<base64>`, or any other string as raw key bytes. */
  secret?: string;
  fallback?: Reply;
  port?: number;
}

export async function startHttpReceiver(options: HttpReceiverOptions = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue: Reply[] = [];
  let fallback: Reply = options.fallback ?? { status: 200 };
  const events = new EventEmitter();
  const verifier = options.secret
    ? options.secret.startsWith('whsec_')
      ? new Webhook(options.secret)
      : new Webhook(options.secret, { format: 'raw' })
    : undefined;
  const stalled = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
      };
      if (verifier) received.signature = verify(verifier, body, req.headers);
      requests.push(received);
      events.emit('request');
      const reply = queue.shift() ?? fallback;
      if (reply === 'stall') {
        stalled.add(res);
        return;
      }
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body ?? '');
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    setFallback: (reply) => void (fallback = reply),
    waitForRequests(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          events.off('request', check);
          resolve(requests.slice());
        };
        const timer = setTimeout(() => {
          events.off('request', check);
          reject(new Error(`receiver: ${requests.length} of ${count} requests after ${timeoutMs}ms`));
        }, timeoutMs);
        events.on('request', check);
        check();
      });
    },
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function verify(verifier: Webhook, body: Buffer, headers: IncomingHttpHeaders): ReceivedRequest['signature'] {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') flat[k] = v;
  try {
    verifier.verify(body, flat, { jsonParse: false });
    return { valid: true };
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
}
