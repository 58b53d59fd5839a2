import type { SourceConfig } from '../config/schema.js';
import type { DedupeInput, Verifier } from '../verifiers/index.js';

/** The parsed body, read on demand (see LazyBody in ack.ts). */
export interface BodyReader {
  read(): unknown;
}

/** What a verifier's dedupeKey sees; the body getter parses only if the scheme reads it. */
class DedupeView implements DedupeInput {
  constructor(
    readonly headers: Record<string, string>,
    private readonly reader: BodyReader,
  ) {}
  get body(): unknown {
    return this.reader.read();
  }
}

/**
 * The key duplicates are recognised by: `dedupe: true` uses the provider's
 * own event id when the verifier knows one; `{ header }` or `{ body: path }` name it;
 * `false` turns dedupe off. `body` parses on demand: header-keyed schemes never pay for it.
 */
export function dedupeKeyOf(
  dedupe: SourceConfig['dedupe'],
  verifier: Verifier,
  headers: Record<string, string>,
  body: BodyReader,
): string | undefined {
  if (dedupe === false) return undefined;
  if (dedupe === true) return nonEmpty(verifier.dedupeKey?.(new DedupeView(headers, body)));
  if ('header' in dedupe) return nonEmpty(headers[dedupe.header]);
  return nonEmpty(scalar(bodyPath(body.read(), dedupe.body)));
}

function bodyPath(body: unknown, path: string): unknown {
  let value = body;
  for (const part of path.replace(/^body\./, '').split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value ? value : undefined;
}
