import { parseBody } from './body.js';
import type { Condition, Envelope } from './envelope.js';

/** What route filters and `{{ path }}` templates read: `body` is the parsed JSON or form body. */
export interface RecordView {
  source: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  condition: Condition;
  /** `requestContext.eventType`; absent (not undefined, so `$exists: false` matches) when the record has none. */
  eventType?: string;
}

const ROOTS: readonly string[] = ['source', 'headers', 'query', 'body', 'condition', 'eventType'];

export function recordView(envelope: Envelope): RecordView {
  const payload = envelope.requestPayload;
  // A binary body has no fields to read; parsing its base64 text would invent some.
  const body = payload.isBase64Encoded
    ? undefined
    : parseBody(Buffer.from(payload.body ?? '', 'utf8'), payload.headers['content-type']);
  const view: RecordView = {
    source: envelope.source,
    headers: payload.headers,
    query: payload.queryStringParameters,
    body,
    condition: envelope.requestContext.condition,
  };
  const eventType = envelope.requestContext.eventType;
  if (eventType !== undefined) view.eventType = eventType;
  return view;
}

/** A template that cannot be compiled, or a path the record does not have. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface Template {
  readonly text: string;
  /** True when the text has no `{{ }}`: render needs no view. */
  readonly constant: boolean;
  render(view: RecordView): string;
}

type Part = string | { path: string; segments: string[] };

// A segment is anything but a dot, whitespace or brace, so `headers.x-github-event` works.
const PLACEHOLDER = /\{\{\s*([^\s{}]+)\s*\}\}/g;
const SEGMENT = /^[^.\s{}]+$/;

/**
 * Compiles `{{ path }}` placeholders (dotted paths, numeric segments index arrays).
 * Throws TemplateError for unbalanced braces or a path that cannot exist, so a bad
 * template is caught by `config check` rather than on the first delivery.
 */
export function compileTemplate(text: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    const path = m[1]!;
    const segments = path.split('.');
    if (!segments.every((s) => SEGMENT.test(s))) {
      throw new TemplateError(`template "${text}": "${path}" is not a valid path`);
    }
    if (!ROOTS.includes(segments[0]!)) {
      throw new TemplateError(`template "${text}": "${path}" must start with one of ${ROOTS.join(', ')}`);
    }
    parts.push({ path, segments });
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  const literal = parts.filter((p): p is string => typeof p === 'string').join('');
  if (literal.includes('{{') || literal.includes('}}')) {
    throw new TemplateError(`template "${text}": unbalanced or empty "{{ }}"`);
  }
  const constant = parts.length === 1;
  return {
    text,
    constant,
    render(view) {
      if (constant) return text;
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') out += part;
        else out += stringify(lookup(view, part.segments), text, part.path);
      }
      return out;
    },
  };
}

function lookup(view: RecordView, segments: string[]): unknown {
  let value: unknown = view;
  for (const segment of segments) {
    // Own properties only: `{{ body.constructor }}` must not reach the prototype.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function stringify(value: unknown, text: string, path: string): string {
  if (value === undefined || value === null)
    throw new TemplateError(`template "${text}": ${path} is missing`);
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  // What is left of a parsed body: numbers and booleans.
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  throw new TemplateError(`template "${text}": ${path} is not a value`);
}
