import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerFault, useDummyAwsCredentials, type AwsFault } from './aws-faults.js';

/**
 * A local Amazon EventBridge endpoint speaking the real PutEvents wire protocol
 * (JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`), for the real SDK to call.
 *
 *   const eb = await startEventBridgeEndpoint();
 *   // destination config: { type: 'eventbridge', endpoint: eb.url, region: eb.region }
 *   void eb.fail({ entryError: 'MalformedDetail' });   // next request: every entry fails
 *   void eb.fail({ entries: { 2: { entryError: 'ThrottlingException' } } }); // its third entry
 *   void eb.fail('throttle');                           // next request: ThrottlingException
 *   const [entry] = await eb.waitForEntries(1);         // accepted entries, as sent
 *   await eb.close();
 *
 * Like EventBridge it fails an entry whose Detail is not a JSON object or that lacks
 * Source or DetailType, and answers 200 with the failure in the entry.
 */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  Time?: number;
  Resources?: string[];
}

export interface PutEventsRequest {
  headers: IncomingHttpHeaders;
  entries: PutEventsEntry[];
}

export interface EntryError {
  entryError: string;
  message?: string;
}

/** A request-level fault, an error for every entry, or errors for some entries by position. */
export type EventBridgeFault = AwsFault | EntryError | { entries: Record<number, EntryError> };

export interface EventBridgeEndpoint {
  readonly url: string;
  readonly region: string;
  /** Entries EventBridge accepted, in order. */
  readonly entries: PutEventsEntry[];
  /** Every PutEvents request, accepted or not. */
  readonly requests: PutEventsRequest[];
  /** The next request meets `fault` (an entry error fails its entries); resolves once it has arrived. */
  fail(fault: EventBridgeFault): Promise<void>;
  waitForEntries(count: number, timeoutMs?: number): Promise<PutEventsEntry[]>;
  close(): Promise<void>;
}

const JSON_11 = 'application/x-amz-json-1.1';

export async function startEventBridgeEndpoint(): Promise<EventBridgeEndpoint> {
  useDummyAwsCredentials();
  const entries: PutEventsEntry[] = [];
  const requests: PutEventsRequest[] = [];
  const queued: { fault: EventBridgeFault; arrived: () => void }[] = [];
  const stalled = new Set<ServerResponse>();
  const events = new EventEmitter();

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        return answer(res, 400, { __type: 'UnknownOperationException', message: 'Unknown operation' });
      }
      if (!String(req.headers['content-type']).startsWith(JSON_11)) {
        return answer(res, 400, { __type: 'SerializationException', message: 'Expected JSON 1.1' });
      }
      let sent: PutEventsEntry[];
      try {
        sent = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: PutEventsEntry[] }).Entries;
      } catch {
        return answer(res, 400, { __type: 'SerializationException', message: 'Malformed JSON' });
      }
      requests.push({ headers: req.headers, entries: sent });
      const next = queued.shift();
      next?.arrived();
      if (next && typeof next.fault === 'string') {
        if (!answerFault(next.fault, req, res)) stalled.add(res);
        return;
      }
      const fault = next?.fault as Exclude<EventBridgeFault, AwsFault> | undefined;
      const results = sent.map((entry, i) => {
        const forced = fault && ('entries' in fault ? fault.entries[i] : fault);
        const error = forced ? { code: forced.entryError, message: forced.message } : validate(entry);
        if (error) return { ErrorCode: error.code, ErrorMessage: error.message ?? `${error.code} (test)` };
        entries.push(entry);
        return { EventId: randomUUID() };
      });
      events.emit('entry');
      answer(res, 200, {
        FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
        Entries: results,
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    entries,
    requests,
    fail: (fault) => new Promise<void>((arrived) => queued.push({ fault, arrived })),
    waitForEntries(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (entries.length < count) return;
          clearTimeout(timer);
          events.off('entry', check);
          resolve(entries.slice());
        };
        const timer = setTimeout(() => {
          events.off('entry', check);
          reject(new Error(`eventbridge: ${entries.length} of ${count} entries after ${timeoutMs}ms`));
        }, timeoutMs);
        events.on('entry', check);
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

function validate(entry: PutEventsEntry): { code: string; message: string } | undefined {
  if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
    return { code: 'InvalidArgument', message: 'Parameters Source, DetailType and Detail are required.' };
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail);
    if (detail !== null && typeof detail === 'object' && !Array.isArray(detail)) return undefined;
  } catch {
    // falls through to the error below
  }
  return { code: 'MalformedDetail', message: 'Detail is malformed.' };
}
