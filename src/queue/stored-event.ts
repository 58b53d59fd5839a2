import { inflateRawSync } from 'node:zlib';
import type { Envelope } from '../record/envelope.js';
import { keepStoredJson, storedJsonOf } from '../record/format.js';
import type { AttemptRecord } from './attempts.js';
import { Deflater } from './deflater.js';

/**
 * The one stored copy of an event, at `EventKeys.record(id)`.
 *
 * The ingress writes the record as plain JSON: it answers the provider as soon as
 * Redis has it, and compressing there would put CPU on the path the provider waits
 * for. The worker that routes the event rewrites it once, when its first attempts
 * are settled, as
 *
 *     0x01 | JSON of the marks | 0x00 | deflate-raw(JSON of the record)
 *
 * so a delivered event costs one compressed copy (about a third of the JSON for a
 * typical webhook) and what became of each delivery rides along in the same key. The
 * marks stay uncompressed: listing events reads them without inflating records.
 *
 * With an event log, a delivered event's record lives in Redis only until the log
 * writer has it (a second or two): then it is written as
 *
 *     0x02 | JSON of the marks | 0x00 | JSON of the record
 *
 * uncompressed, which spares the worker a deflate at settling and an inflate in the
 * writer (~95 µs per event together, a sixth of the worker's CPU in the pipeline bench).
 */
export type CompactMark =
  /** Delivered straight from routing: started (epoch ms), took (ms), what the destination said, the attempt number when not 1. */
  | ['d', number, number, Record<string, unknown>?, number?]
  /** In its destination queue (retrying or waiting); its status key says more once settled. */
  | ['q']
  /** Dead-lettered at the first attempt (a permanent error): the dead letter has the rest. */
  | ['f'];

/** Delivery key (destination, or `<destination>~<replayId>`) -> mark. An empty map: no route matched. */
export type Marks = Record<string, CompactMark>;

export interface StoredEvent {
  record: Envelope;
  /** Absent while the event waits to be routed. */
  marks?: Marks;
}

const ROUTED = 0x01;
const ROUTED_PLAIN = 0x02;

/**
 * Words every stored record repeats, as a deflate preset dictionary: a webhook of a
 * couple of KB compresses 10-20% further when the stream starts with them known.
 * Changing it makes stored records unreadable: only ever append a new version.
 */
export const DICTIONARY = Buffer.from(
  '{"version":"1.0","id":"","timestamp":"","source":"","requestContext":{"requestId":"","condition":"Success",' +
    '"approximateInvokeCount":1,"dedupeKey":"","eventType":"","verified":true,"verifier":""},' +
    '"requestPayload":{"version":"2.0","routeKey":"POST /hooks/","rawPath":"/hooks/","rawQueryString":"",' +
    '"headers":{"accept":"*/*","accept-encoding":"gzip","content-length":"","content-type":"application/json; charset=utf-8",' +
    '"host":"","user-agent":"","x-forwarded-for":"","x-forwarded-proto":"https","connection":"keep-alive",' +
    '"cache-control":"no-cache"},"queryStringParameters":{},"requestContext":{"requestId":"","routeKey":"POST /hooks/",' +
    '"stage":"$default","time":"/Dec/2026:","timeEpoch":,"domainName":"","http":{"method":"POST","path":"/hooks/",' +
    '"protocol":"HTTP/1.1","sourceIp":"","userAgent":""}},"body":"{\\"id\\":\\"\\",\\"object\\":\\"event\\",' +
    '\\"type\\":\\"\\",\\"data\\":{\\"object\\":{\\"id\\":\\"\\",\\"created\\":\\"amount\\":\\"currency\\":\\"usd\\",' +
    '\\"customer\\":\\"\\",\\"metadata\\":{},\\"livemode\\":false,\\"status\\":\\"\\",\\"description\\":null},' +
    '\\"previous_attributes\\":{}},\\"api_version\\":\\"\\",\\"created\\":,\\"pending_webhooks\\":1,' +
    '\\"request\\":{\\"id\\":null,\\"idempotency_key\\":null}}","isBase64Encoded":false},' +
    '"responseContext":{"statusCode":204},"responsePayload":{"statusCode":204,"headers":{},"body":null,"isBase64Encoded":false}}',
);

/** Every record this process settles is deflated by one kept engine (deflater.ts). */
let deflater: Deflater | undefined;

export function encodeNew(record: Envelope): string {
  return JSON.stringify(record);
}

/** `plain`: the record not deflated (an event the log writer is about to let go of). */
export function encodeRouted(record: Envelope, marks: Marks, plain = false): Buffer {
  const head = Buffer.from(JSON.stringify(marks));
  const json = storedJsonOf(record) ?? Buffer.from(JSON.stringify(record));
  const body = plain ? json : (deflater ??= new Deflater(DICTIONARY)).deflate(json);
  const out = Buffer.allocUnsafe(head.length + body.length + 2);
  out[0] = plain ? ROUTED_PLAIN : ROUTED;
  head.copy(out, 1);
  out[head.length + 1] = 0;
  body.copy(out, head.length + 2);
  return out;
}

export class CorruptRecordError extends Error {
  constructor(what: string) {
    super(`stored event unreadable: ${what}`);
    this.name = 'CorruptRecordError';
  }
}

/** The marks alone, without inflating the record (listing many events). */
export function decodeMarks(value: Buffer): Marks | undefined {
  if (value[0] !== ROUTED && value[0] !== ROUTED_PLAIN) return undefined;
  const end = value.indexOf(0, 1);
  if (end < 0) throw new CorruptRecordError('no end of marks');
  return JSON.parse(value.toString('utf8', 1, end)) as Marks;
}

export function decodeStored(value: Buffer): StoredEvent {
  return decode(value).stored;
}

/**
 * decodeStored for the worker, which never changes the record it read: the record's
 * JSON is kept with it (record/format.ts keepStoredJson), so delivering it in
 * `envelope` format and settling it send and compress those bytes instead of
 * serialising the record again.
 */
export function decodeForDelivery(value: Buffer): StoredEvent {
  const { stored, json } = decode(value);
  keepStoredJson(stored.record, json);
  return stored;
}

function decode(value: Buffer): { stored: StoredEvent; json: Buffer } {
  if (value[0] !== ROUTED && value[0] !== ROUTED_PLAIN)
    return { stored: { record: JSON.parse(value.toString('utf8')) as Envelope }, json: value };
  const end = value.indexOf(0, 1);
  if (end < 0) throw new CorruptRecordError('no end of marks');
  const marks = JSON.parse(value.toString('utf8', 1, end)) as Marks;
  const json =
    value[0] === ROUTED_PLAIN
      ? value.subarray(end + 1)
      : inflateRawSync(value.subarray(end + 1), { dictionary: DICTIONARY });
  return { stored: { record: JSON.parse(json.toString('utf8')) as Envelope, marks }, json };
}

/** The first attempt a `d` mark stands for. */
export function firstAttempt(mark: CompactMark & { 0: 'd' }): AttemptRecord {
  const [, started, durationMs, info, attempt] = mark;
  return {
    attempt: attempt ?? 1,
    startedAt: new Date(started).toISOString(),
    durationMs,
    outcome: 'success',
    ...(info && Object.keys(info).length ? { info } : {}),
  };
}
