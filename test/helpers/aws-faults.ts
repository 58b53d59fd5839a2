import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Faults an AWS endpoint can answer with, in the wire format of the request's
 * protocol (JSON for `x-amz-target` requests, XML for the Query protocol), so the real
 * SDK parses them exactly as it would parse AWS's own.
 */
export type AwsFault = 'throttle' | 'unavailable' | 'stall' | 'drop';

/** Sets the dummy credentials and region the SDK's default chain reads, unless already set. */
export function useDummyAwsCredentials(region = 'us-east-1'): void {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  process.env.AWS_REGION ??= region;
  // The SDK warns once per process about Node 20; tests need not say so.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Answers `req` with `fault`; returns false for 'stall' (the caller keeps the response open). */
export function answerFault(fault: AwsFault, req: IncomingMessage, res: ServerResponse): boolean {
  if (fault === 'stall') return false;
  if (fault === 'drop') {
    req.socket.destroy();
    return true;
  }
  const [status, code, message] =
    fault === 'throttle'
      ? [400, 'ThrottlingException', 'Rate exceeded']
      : [503, 'ServiceUnavailable', 'Service is unavailable'];
  if (req.headers['x-amz-target']) {
    res.writeHead(status, {
      'content-type': String(req.headers['content-type'] ?? 'application/x-amz-json-1.0'),
    });
    res.end(JSON.stringify({ __type: code, message }));
  } else {
    const type = status >= 500 ? 'Receiver' : 'Sender';
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse><Error><Type>${type}</Type><Code>${code === 'ThrottlingException' ? 'Throttling' : code}</Code>` +
        `<Message>${message}</Message></Error><RequestId>faulty-front</RequestId></ErrorResponse>`,
    );
  }
  return true;
}

export interface FaultyFront {
  readonly url: string;
  /** The next request gets `fault` instead of reaching the target; resolves when it has arrived. */
  fail(fault: AwsFault): Promise<void>;
  close(): Promise<void>;
}

/** A pass-through HTTP proxy in front of `target` that can be told to fail the next requests. */
export async function startFaultyFront(target: string): Promise<FaultyFront> {
  const upstream = new URL(target);
  const queued: { fault: AwsFault; arrived: () => void }[] = [];
  const stalled = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const next = queued.shift();
    if (next) {
      req.resume();
      if (!answerFault(next.fault, req, res)) stalled.add(res);
      next.arrived();
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fail: (fault) => new Promise<void>((arrived) => queued.push({ fault, arrived })),
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
