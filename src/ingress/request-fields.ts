import type { SourceConfig } from '../config/schema.js';
import { parseBody } from '../record/body.js';
import { jsonView } from '../record/json-field.js';
import type { DedupeInput, Verifier } from '../verifiers/index.js';
import type { IncomingRequest } from './verify.js';

/**
 * A request's headers and its body, read only when a step asks for it (most sources
 * dedupe on a header or not at all), and then once: the dedupe key, the event type and
 * Slack's challenge share it. A JSON body is not parsed: the steps read a field or two,
 * looked up in the text as they are read (jsonView), so a large or deeply nested body
 * costs the event loop little; the worker parses it whole for filters and templates.
 * A form body is parsed (that is linear and cheap). A class, not a closure or a getter
 * literal per request: no function allocation (and under tsx, no __name call) on the
 * hot path.
 */
export class RequestFields implements DedupeInput {
  readonly headers: Record<string, string>;
  private readonly rawBody: Buffer;
  private parsed = false;
  private value: unknown;
  constructor(incoming: IncomingRequest) {
    this.headers = incoming.headers;
    this.rawBody = incoming.rawBody;
  }
  get body(): unknown {
    if (!this.parsed) {
      this.value = readBody(this.rawBody, this.headers['content-type']);
      this.parsed = true;
    }
    return this.value;
  }
}

/**
 * As parseBody, but a JSON body with many objects or arrays is a view on its text (see
 * RequestFields): V8's JSON.parse is quickest on ordinary bodies, but its cost grows
 * with every object it builds, and several times faster with nesting (a body of
 * 400,000 nested arrays held the event loop ~0.5 s here). Up to PARSE_MAX of them it
 * parses, past that the text is read instead (linear, no allocation).
 */
function readBody(raw: Buffer, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const json = type.endsWith('json') || type === '' || type === 'text/plain';
  if (!json || raw.length < 64 * 1024) return parseBody(raw, contentType);
  const text = raw.toString('utf8');
  if (atMost(text, '{', PARSE_MAX) && atMost(text, '[', PARSE_MAX)) return parseBody(raw, contentType);
  return jsonView(text) ?? (type.endsWith('json') ? undefined : text);
}

/** Objects or arrays (each) a body may have and still be parsed whole; an upper bound, counted in strings too. */
const PARSE_MAX = 20_000;

function atMost(text: string, char: string, max: number): boolean {
  let count = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) if (++count > max) return false;
  return true;
}

/** A field a source names itself: `{ header: name }` (lower-cased by the schema) or `{ body: dotted.path }`. */
export type FieldOption = { header: string } | { body: string };

/**
 * The key duplicates are recognised by: `dedupe: true` uses the provider's own event
 * id when the verifier knows one; `{ header }` or `{ body: path }` name it; `false`
 * turns dedupe off.
 */
export function dedupeKeyOf(
  dedupe: SourceConfig['dedupe'],
  verifier: Verifier,
  fields: RequestFields,
): string | undefined {
  if (dedupe === false) return undefined;
  if (dedupe === true) return nonEmpty(verifier.dedupeKey?.(fields));
  return nonEmpty(scalar(fieldOf(dedupe, fields)));
}

/** Longer event types are cut: the record is not a place a sender can make large. */
export const EVENT_TYPE_MAX = 200;

/**
 * `requestContext.eventType`: the source's `eventType` option when it has one, else
 * the provider's type where the verifier knows it (no verifier: proxy sources use the
 * option only). Strings only; empty is none.
 */
export function eventTypeOf(
  option: FieldOption | undefined,
  verifier: Verifier | undefined,
  fields: RequestFields,
): string | undefined {
  const value = option ? fieldOf(option, fields) : verifier?.eventType?.(fields);
  if (typeof value !== 'string' || value === '') return undefined;
  return value.length > EVENT_TYPE_MAX ? cut(value, EVENT_TYPE_MAX) : value;
}

function fieldOf(option: FieldOption, fields: RequestFields): unknown {
  if ('header' in option) return fields.headers[option.header];
  return bodyPath(fields.body, option.body);
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

/** The first `max` UTF-16 units, without leaving half of a surrogate pair at the end. */
function cut(value: string, max: number): string {
  const code = value.charCodeAt(max - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
