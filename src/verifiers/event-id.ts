/**
 * Readers for the providers' event ids (dedupe keys) and event types. A value that is
 * absent, empty or not a string gives undefined: the ingress then stores the event
 * without deduping, or without an event type.
 */
export function bodyField(body: unknown, field: string): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function firstHeader(headers: Record<string, string>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = headers[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/** An object's own field, of any type (undefined for anything but an object). */
export function member(body: unknown, field: string): unknown {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, field)) return undefined;
  return (body as Record<string, unknown>)[field];
}

/**
 * The JSON in a form body's `payload` field: Slack's interactivity requests and GitHub
 * webhooks set to `application/x-www-form-urlencoded` carry their fields there.
 */
export function formPayload(body: unknown): unknown {
  const payload = member(body, 'payload');
  if (typeof payload !== 'string') return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}
