/**
 * Bodies are stored as UTF-8 text when they are valid UTF-8, else base64 with
 * `isBase64Encoded: true`, so the record stays JSON and the bytes survive unchanged.
 */
export function encodeBody(raw: Buffer | undefined): { body: string | null; isBase64Encoded: boolean } {
  if (!raw || raw.length === 0) return { body: raw ? '' : null, isBase64Encoded: false };
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return { body: text.decode(raw), isBase64Encoded: false };
  } catch {
    return { body: raw.toString('base64'), isBase64Encoded: true };
  }
}

export function decodeBody(payload: { body: string | null; isBase64Encoded: boolean }): Buffer {
  if (payload.body === null) return Buffer.alloc(0);
  return payload.isBase64Encoded ? Buffer.from(payload.body, 'base64') : Buffer.from(payload.body, 'utf8');
}

/**
 * The parsed body filters and templates read: JSON or form fields; anything else is
 * left as the raw text. JSON is parsed with prototype-poisoning protection.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    const out = Object.create(null) as Record<string, string>;
    for (const [k, v] of new URLSearchParams(text)) out[k] = k in out ? `${out[k]},${v}` : v;
    return { ...out };
  }
  if (type.endsWith('json') || type === '' || type === 'text/plain') {
    try {
      return safeJsonParse(text);
    } catch {
      return type.endsWith('json') ? undefined : text;
    }
  }
  return text;
}

/**
 * JSON.parse that drops keys reaching Object.prototype (secure-json-parse's rule).
 * A reviver costs a call per value, so it runs only when the text could hold such a
 * key: one spelled out, or hidden behind a `\u` escape (no other escape can produce
 * these letters). Anything else parses to the same value without it.
 */
export function safeJsonParse(text: string): unknown {
  if (!text.includes('__proto__') && !text.includes('constructor') && !text.includes('\\u')) {
    return JSON.parse(text);
  }
  return JSON.parse(text, (key, value: unknown) => {
    // secure-json-parse's rule: refuse keys that reach Object.prototype.
    if (
      key === '__proto__' ||
      (key === 'constructor' && value && typeof value === 'object' && 'prototype' in value)
    ) {
      return undefined;
    }
    return value;
  });
}
