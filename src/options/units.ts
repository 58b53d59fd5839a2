/** Durations: `500ms`, `5s`, `10m`, `1h`, `3d` or a number of milliseconds. */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;
const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Sizes: `512kb`, `1mb`, `1gb` or a number of bytes (binary multiples, as Fastify's bodyLimit). */
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;
const SIZE_FACTORS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_FACTORS[(m[2] ?? 'ms').toLowerCase()]!);
}

export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = SIZE.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_FACTORS[(m[2] ?? 'b').toLowerCase()]!);
}
