import type { Config } from '../../config/schema.js';
import type { EventLog } from '../../event-log/log.js';
import type { LoggedAnswer } from '../../event-log/types.js';
import type { EventSummary } from '../../events/history.js';
import type { Store } from '../../queue/delivery-queues.js';
import { decodeStored } from '../../queue/stored-event.js';
import type { Envelope } from '../../record/envelope.js';

/** A proxy record as the operator reads it: the request and the upstream's answer. */
export type ProxyAnswer = LoggedAnswer;

export function answerOf(record: Envelope): ProxyAnswer {
  const out: ProxyAnswer = {
    method: record.requestPayload.requestContext.http.method,
    path: record.requestPayload.rawPath,
    status: record.responseContext.statusCode,
    condition: record.requestContext.condition,
  };
  const fe = record.responseContext.functionError;
  if (fe !== undefined) out.functionError = fe;
  return out;
}

/** `POST /api/orders → 201 Success`, `GET /x → 504 Failure (Timeout)`. */
export function answerText(a: ProxyAnswer): string {
  return `${a.method} ${a.path} → ${a.status} ${a.condition}${a.functionError ? ` (${a.functionError})` : ''}`;
}

export interface AnswerReader {
  /** Whether any source is in proxy mode (the Events list then has a "Request → answer" column). */
  readonly enabled: boolean;
  isProxy(source: string): boolean;
  /** The answers of the proxy-source rows among `items` (absent: neither Redis nor the log has the record). */
  answers(items: readonly EventSummary[]): Promise<Map<string, ProxyAnswer>>;
}

/** Answers kept: a page is 50 rows, the live view at most 200. */
const CACHE_SIZE = 10_000;

/**
 * The request → answer of proxy-mode rows in the Events list. The list's summaries
 * (Redis intake entries, the log's summary columns) do not carry them, so this reads
 * them once per event: one Redis pipeline for a page's rows not seen before (the
 * record), then, for those Redis no longer has, one query to the log (five fields of
 * the record, not the record). A record never changes, so what was read is kept (the
 * newest 10,000), and a live view polling every 2 s reads only its new rows.
 */
export function createAnswerReader(config: Config, store: Store, log: EventLog | undefined): AnswerReader {
  const proxy = new Set(
    Object.entries(config.sources)
      .filter(([, s]) => s.mode === 'proxy')
      .map(([name]) => name),
  );
  const cache = new Map<string, ProxyAnswer>();
  const remember = (id: string, a: ProxyAnswer) => {
    cache.set(id, a);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  };

  return {
    enabled: proxy.size > 0,
    isProxy: (source) => proxy.has(source),
    async answers(items) {
      const out = new Map<string, ProxyAnswer>();
      const missing: EventSummary[] = [];
      for (const item of items) {
        if (!proxy.has(item.source)) continue;
        const hit = cache.get(item.id);
        if (hit) out.set(item.id, hit);
        else missing.push(item);
      }
      if (!missing.length) return out;
      // One GET each, sent together (they may be in different partitions, so no pipeline).
      const replies = await Promise.all(
        missing.map((item) =>
          store.redis.getBuffer(store.partitionOf(item.id).keys.record(item.id)).then(
            (v) => [null, v] as const,
            (err: unknown) => [err, undefined] as const,
          ),
        ),
      );
      const notInRedis: EventSummary[] = [];
      for (const [i, item] of missing.entries()) {
        const value = replies[i]?.[1];
        let answer: ProxyAnswer | undefined;
        if (value && value.length) {
          try {
            answer = answerOf(decodeStored(value).record);
          } catch {
            answer = undefined;
          }
        }
        if (answer) {
          remember(item.id, answer);
          out.set(item.id, answer);
        } else notInRedis.push(item);
      }
      if (log && notInRedis.length) {
        const found = await log.answers(
          notInRedis.map((i) => ({ id: i.id, receivedAt: Date.parse(i.receivedAt) })),
        );
        for (const [id, answer] of found) {
          remember(id, answer);
          out.set(id, answer);
        }
      }
      return out;
    },
  };
}
