/**
 * Each failed delivery attempt is written to the BullMQ job log as one JSON line,
 * and the successful one is the job's return value, so a delivery's history (every
 * time and error) lives and dies with the job: visible in bull-board, read back by
 * `dlq show`, `events show` and the admin API.
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

/**
 * A delivery's attempts, oldest first: failed attempts from the job log (other
 * lines, such as operators' notes, are skipped), then the successful one, which a
 * completed job keeps as its return value.
 */
export function deliveryAttempts(logs: readonly string[], returnvalue?: unknown): AttemptRecord[] {
  const out = parseAttempts(logs);
  const success = (returnvalue as { attempt?: AttemptRecord } | null | undefined)?.attempt;
  if (success && typeof success === 'object' && success.outcome === 'success') out.push(success);
  return out;
}

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
