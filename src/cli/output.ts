import type { AttemptRecord } from '../queue/attempts.js';

/** What the CLI prints on stdout: lines, JSON for scripts, aligned tables. */
export const write = (text: string): void =>
  void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
export const printJson = (value: unknown): void => write(JSON.stringify(value, null, 2));

/** A plain aligned table; the last column is cut to keep one line per row. */
export function table(headers: string[], rows: string[][], lastMax = 80): string {
  const cut = (s: string) => {
    const line = s.replace(/\s+/g, ' ');
    return line.length > lastMax ? `${line.slice(0, lastMax - 1)}…` : line;
  };
  const all = [headers, ...rows.map((r) => r.map((c, i) => (i === r.length - 1 ? cut(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function attemptsTable(attempts: AttemptRecord[]): string {
  if (!attempts.length) return '  (no attempt recorded)';
  return table(
    ['  #', 'STARTED', 'TOOK', 'OUTCOME', 'ERROR'],
    attempts.map((a) => [
      `  ${a.attempt}`,
      a.startedAt,
      `${a.durationMs}ms`,
      a.outcome + (a.retryInMs !== undefined ? ` (next in ${a.retryInMs}ms)` : ''),
      a.error ?? '',
    ]),
    200,
  );
}
