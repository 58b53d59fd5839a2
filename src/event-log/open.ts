import type { Config } from '../config/schema.js';
import { createSql } from './client.js';
import { createEventLog, type EventLog } from './log.js';

/** The configured event log, or undefined without `eventLog`. Connects on first use. */
export function openEventLog(config: Config): EventLog | undefined {
  const pg = config.eventLog?.postgres;
  if (!pg) return undefined;
  return createEventLog(createSql(pg.url, pg.pool), pg.schema);
}
