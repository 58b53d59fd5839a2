import type { z } from 'zod';
import { units } from '../options/types.js';
import { configSchema, type Config } from './schema.js';

const DURATION_UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];
const SIZE_UNITS: [string, number][] = [
  ['gb', 1024 ** 3],
  ['mb', 1024 ** 2],
  ['kb', 1024],
];

/** `10000` -> `10s`, `1500` -> `1500ms`: the largest unit that divides it exactly. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, factor] of DURATION_UNITS) if (ms % factor === 0) return `${ms / factor}${unit}`;
  return `${ms}ms`;
}

/** `1048576` -> `1mb`, `1000` -> `1000b`. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of SIZE_UNITS)
    if (bytes > 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  return `${bytes}b`;
}

/** Keys only proxy mode reads: on an ack source they are defaults nobody set, and only confuse. */
const PROXY_ONLY = ['upstream', 'record', 'bufferSize'];

/**
 * The parsed config as a user would write it, for `config check`: durations and sizes
 * in units (`10s`, `1mb`) rather than milliseconds and bytes, and without the
 * proxy-only keys on ack sources. Loading the output gives the same config back.
 */
export function presentConfig(config: Config): unknown {
  const out = present(configSchema, config) as { sources?: Record<string, Record<string, unknown>> };
  for (const source of Object.values(out.sources ?? {})) {
    if (source.mode !== 'ack') continue;
    for (const key of PROXY_ONLY) delete source[key];
  }
  return out;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** Walks the schema beside the value, turning what `units` marks back into units. */
function present(schema: z.ZodType, value: unknown): unknown {
  const unit = units.get(schema)?.unit;
  if (unit && typeof value === 'number')
    return unit === 'duration' ? formatDuration(value) : formatSize(value);
  const def = schema._zod.def as unknown as Def;
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
      return present(def.innerType!, value);
    case 'pipe':
      return present(def.in!, value);
    case 'object':
      if (!isRecord(value)) return value;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, def.shape![k] ? present(def.shape![k], v) : v]),
      );
    case 'record':
      if (!isRecord(value)) return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, present(def.valueType!, v)]));
    case 'array':
      return Array.isArray(value) ? value.map((v) => present(def.element!, v)) : value;
    case 'union': {
      // A discriminated union (verify, destinations): the option its `type` names.
      if (!def.discriminator || !isRecord(value)) return value;
      const option = def.options!.find((o) => {
        const shape = (o._zod.def as unknown as Def).shape;
        const literal = shape?.[def.discriminator!]?._zod.def as { values?: unknown[] } | undefined;
        return literal?.values?.includes(value[def.discriminator!]);
      });
      return option ? present(option, value) : value;
    }
    default:
      return value;
  }
}
