/**
 * One delivery attempt, as `events show`, `dlq show` and the admin API report it.
 * First attempts made straight from routing are kept in the event's stored record
 * (stored-event.ts); attempts of a delivery that went to its destination queue are
 * BullMQ job log lines while it is there (dead letters keep them), and the whole
 * list is folded into the event's status once it is delivered.
 */
export type AttemptOutcome = 'success' | 'retry' | 'dead_letter';

export interface AttemptRecord {
  /** As the receiver saw it (`approximateInvokeCount`); counts on across a replay. */
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: AttemptOutcome;
  error?: string;
  /** `retry`: when the next attempt is due. */
  retryInMs?: number;
  /** What the destination said (HTTP status, message id). */
  info?: Record<string, unknown>;
  /** Made by a replay (`events replay`, `dlq replay`). */
  replay?: true;
}

const MARKER = 'hookgate.attempt ';

export function formatAttempt(record: AttemptRecord): string {
  return MARKER + JSON.stringify(record);
}

/** Attempts from job log lines, oldest first (other lines, such as operators' notes, are skipped). */
export function parseAttempts(logs: readonly string[]): AttemptRecord[] {
  const out: AttemptRecord[] = [];
  for (const line of logs) {
    if (!line.startsWith(MARKER)) continue;
    try {
      out.push(JSON.parse(line.slice(MARKER.length)) as AttemptRecord);
    } catch {
      // a line cut short by keepLogs or written by hand: not an attempt
    }
  }
  return out;
}
