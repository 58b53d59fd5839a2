import { z } from 'zod';
import { parseDuration, parseSize } from './units.js';

/*
 * The value types every option schema is built from: config's own (config/schema.ts)
 * and the destination and verifier option schemas config composes. They live below
 * all three so those modules import them, not config, and config alone imports the
 * modules whose schemas it assembles.
 */

/**
 * Which config values are durations or sizes, so `config check` can print them back
 * as a user writes them (`10s`, `1mb`) rather than as the milliseconds or bytes they
 * parse to.
 */
export const units = z.registry<{ unit: 'duration' | 'size' }>();

/** A duration in config (`5s`, `10m`, or ms) parsed to milliseconds. */
export const duration = () =>
  z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid duration "${v}" (use 500ms, 5s, 10m, 1h, 3d or milliseconds)`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .register(units, { unit: 'duration' });

/** A size in config (`512kb`, `1mb`, or bytes) parsed to bytes. */
export const size = () =>
  z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const bytes = parseSize(v);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid size "${v}" (use 512kb, 1mb or bytes)` });
        return z.NEVER;
      }
      return bytes;
    })
    .register(units, { unit: 'size' });

/** Environment interpolation yields strings; numbers and booleans accept them too. */
export const int = () => z.coerce.number().int();
export const bool = () =>
  z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');

/**
 * A secret: never empty (an unset `${VAR}` becomes empty and is refused here; the
 * loader adds which variable was unset).
 */
export const secret = () => z.string().min(1, 'is empty');
export const secrets = () => z.array(secret()).min(1, 'needs at least one secret');
