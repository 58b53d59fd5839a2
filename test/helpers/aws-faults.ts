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

/**
 * Batch entries (by their position in the next SendMessageBatch) that fail with the given
 * code; the others reach the target. JSON protocol (SQS) only.
 */
export type EntryFaults = Record<number, { code: string; senderFault: boolean; message?: string }>;

export interface FaultyFront {
  readonly url: string;
  /** Every request that came through, in order: its operation and how many batch entries it had. */
  readonly calls: AwsCall[];
  /** The next request gets `fault` instead of reaching the target; resolves when it has arrived. */
  fail(fault: AwsFault): Promise<void>;
  /** The next batch request has these entries fail; the rest are forwarded. */
  failEntries(faults: EntryFaults): void;
  close(): Promise<void>;
}

export interface AwsCall {
  /** `SendMessageBatch`, `PublishBatch`, ... */
  operation: string;
  /** Batch entries in the request (0 for other requests). */
  entries: number;
}

/** The action a request names (`x-amz-target` for the JSON protocol, `Action=` for Query) and its batch entries. */
function callOf(req: IncomingMessage, body: Buffer): AwsCall {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    let entries = 0;
    try {
      entries = (JSON.parse(body.toString('utf8')) as { Entries?: unknown[] }).Entries?.length ?? 0;
    } catch {
      // not JSON: no entries
    }
    return { operation: target.slice(target.lastIndexOf('.') + 1), entries };
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const entries = [...form.keys()].filter((k) => /^\w+Entries\.member\.\d+\.Id$/.test(k)).length;
  return { operation: form.get('Action') ?? '?', entries };
}

/** A pass-through HTTP proxy in front of `target` that can be told to fail the next requests. */
export async function startFaultyFront(target: string): Promise<FaultyFront> {
  const upstream = new URL(target);
  const queued: { fault: AwsFault; arrived: () => void }[] = [];
  const stalled = new Set<ServerResponse>();
  const calls: AwsCall[] = [];
  const entryFaults: EntryFaults[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const call = callOf(req, body);
      calls.push(call);
      const next = queued.shift();
      if (next) {
        if (!answerFault(next.fault, req, res)) stalled.add(res);
        next.arrived();
        return;
      }
      let failed: { Id: string; Code: string; SenderFault: boolean; Message: string }[] = [];
      if (call.operation === 'SendMessageBatch' && entryFaults.length) {
        // The failing entries never reach the target; their failures join its answer.
        const faults = entryFaults.shift()!;
        const input = JSON.parse(body.toString('utf8')) as { Entries: { Id: string }[] };
        failed = input.Entries.flatMap((e, i) => {
          const f = faults[i];
          return f
            ? [{ Id: e.Id, Code: f.code, SenderFault: f.senderFault, Message: f.message ?? f.code }]
            : [];
        });
        input.Entries = input.Entries.filter((_, i) => !faults[i]);
        body = Buffer.from(JSON.stringify(input));
      }
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (answer) => {
          if (!failed.length) {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            const out = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as { Failed?: unknown[] };
            out.Failed = [...(out.Failed ?? []), ...failed];
            const text = JSON.stringify(out);
            const { 'content-length': _, ...rest } = answer.headers;
            res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': Buffer.byteLength(text) });
            res.end(text);
          });
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    fail: (fault) => new Promise<void>((arrived) => queued.push({ fault, arrived })),
    failEntries: (faults) => void entryFaults.push(faults),
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
