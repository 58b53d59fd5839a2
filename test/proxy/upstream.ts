import { EventEmitter, once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP server standing in for the synchronous API behind the proxy. It
 * records every request it gets and answers from a script, like the receiver helper:
 *
 *   up.reply({ status: 201, headers: { 'x-a': '1' }, body: '{"id":1}' });
 *   up.reply('stall');        // headers never come
 *   up.reply('stall-body');   // 200 + headers, then the body never comes
 *   up.reply('hangup');       // destroys the connection without answering
 *   up.reply((req, res, body) => res.end(body));   // anything else
 */
export type UpstreamReply =
  | { status: number; headers?: OutgoingHttpHeaders; body?: string | Buffer }
  | 'stall'
  | 'stall-body'
  | 'hangup'
  | ((req: IncomingMessage, res: ServerResponse, body: Buffer) => void);

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** The client port of the connection it came on: equal ports mean a reused connection. */
  remotePort: number | undefined;
}

export interface Upstream {
  readonly url: string;
  readonly requests: SeenRequest[];
  reply(...replies: UpstreamReply[]): void;
  setFallback(reply: UpstreamReply): void;
  /** Resolves once `count` requests have arrived whole (the test's timeout bounds the wait). */
  waitForRequests(count: number): Promise<SeenRequest[]>;
  close(): Promise<void>;
}

export async function startUpstream(fallback: UpstreamReply = { status: 200 }): Promise<Upstream> {
  const requests: SeenRequest[] = [];
  const queue: UpstreamReply[] = [];
  const events = new EventEmitter();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        remotePort: req.socket.remotePort,
      });
      events.emit('request');
      const reply = queue.shift() ?? fallback;
      if (reply === 'stall') return;
      if (reply === 'hangup') return void req.socket.destroy();
      if (reply === 'stall-body') return void res.writeHead(200, { 'content-length': '10' }).flushHeaders();
      if (typeof reply === 'function') return reply(req, res, body);
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body ?? '');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    setFallback: (reply) => void (fallback = reply),
    async waitForRequests(count) {
      while (requests.length < count) await once(events, 'request');
      return requests.slice();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
