/**
 * The little of a PostgreSQL client the event log uses: parameterised text
 * queries and a transaction on one connection. Kept this small so the client
 * library (chosen by measurement, see bench/pg-client) stays behind one file.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Sql extends Queryable {
  /** `fn` runs in one transaction on one connection; a throw rolls it back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

/** A PostgreSQL identifier, quoted (schema names come from the config, checked there too). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQLSTATE of a PostgreSQL error, when it is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * PostgreSQL could not be reached, or refused the connection (the reason, never the
 * password, is in the message). The admin API answers `EVENT_LOG_UNAVAILABLE` (503);
 * the log writer waits and tries again, losing nothing.
 */
export class EventLogUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventLogUnavailableError';
  }
}
