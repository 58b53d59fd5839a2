/**
 * Readers for the providers' event ids (dedupe keys). An id that is absent, empty or
 * not a string gives undefined: the ingress then stores the event without deduping.
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
