/**
 * Each delivery attempt is written to the BullMQ job log as one JSON line, so its
 * history (every time and error) lives and dies with the job: visible in bull-board,
 * read back by `dlq show`, `events show` and the admin API.
 */
export type AttemptOutcome = 'success' | 'retry' | 'dead_letter';

export interface AttemptRecord {
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: AttemptOutcome;
  error?: string;
  /** `retry`: when the next attempt is due. */
  retryInMs?: number;
  /** What the destination said on success (message id, status). */
  info?: Record<string, unknown>;
}

const MARKER = 'hookgate.attempt ';

export function formatAttempt(record: AttemptRecord): string {
  return MARKER + JSON.stringify(record);
}

/** Attempt lines from a job log, oldest first; other lines (operators' notes) are skipped. */
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
