import { z } from 'zod';
import { duration, secrets } from '../config/types.js';

/**
 * Option schemas of every verifier type (SPEC §3). Each type takes a list of secrets
 * (rotation: any may match) and, where the scheme has a timestamp, a `tolerance`.
 */
const withTolerance = (fallback: string) => ({
  secrets: secrets(),
  tolerance: duration().prefault(fallback),
});

export const stripeOptions = z.strictObject({ type: z.literal('stripe'), ...withTolerance('5m') });
export const slackOptions = z.strictObject({ type: z.literal('slack'), ...withTolerance('5m') });
export const githubOptions = z.strictObject({ type: z.literal('github'), secrets: secrets() });
export const shopifyOptions = z.strictObject({ type: z.literal('shopify'), secrets: secrets() });
export const standardWebhooksOptions = z.strictObject({
  type: z.literal('standard-webhooks'),
  ...withTolerance('5m'),
});
export const twilioOptions = z.strictObject({
  type: z.literal('twilio'),
  secrets: secrets(),
  /** The URL exactly as configured in Twilio; default: rebuilt from the request (honours trustProxy). */
  url: z.string().url().optional(),
});
export const paddleOptions = z.strictObject({ type: z.literal('paddle'), ...withTolerance('5s') });
export const squareOptions = z.strictObject({
  type: z.literal('square'),
  secrets: secrets(),
  /** The notification URL exactly as registered in Square; default: rebuilt from the request. */
  notificationUrl: z.string().url().optional(),
});
export const hmacOptions = z.strictObject({
  type: z.literal('hmac'),
  secrets: secrets(),
  header: z
    .string()
    .min(1)
    .transform((h) => h.toLowerCase()),
  algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
  encoding: z.enum(['hex', 'base64']).default('hex'),
  /** Text before the digest in the header, e.g. `sha256=`. */
  prefix: z.string().default(''),
  /** Header carrying a unix timestamp (seconds or ms) that is part of the signed string. */
  timestampHeader: z
    .string()
    .min(1)
    .transform((h) => h.toLowerCase())
    .optional(),
  /** What is signed; `{timestamp}` and `{body}` are replaced. Default `{body}`, or `{timestamp}.{body}` with a timestampHeader. */
  signedString: z.string().optional(),
  tolerance: duration().prefault('5m'),
});
export const basicOptions = z.strictObject({
  type: z.literal('basic'),
  /** `user:password` pairs. */
  secrets: secrets(),
});
export const apiKeyOptions = z.strictObject({
  type: z.literal('api-key'),
  secrets: secrets(),
  in: z.enum(['header', 'query']).default('header'),
  /** Header or query parameter name. */
  name: z.string().min(1).default('x-api-key'),
});
export const noneOptions = z.strictObject({ type: z.literal('none') });

export const verifyOptions = z.discriminatedUnion('type', [
  stripeOptions,
  slackOptions,
  githubOptions,
  shopifyOptions,
  standardWebhooksOptions,
  twilioOptions,
  paddleOptions,
  squareOptions,
  hmacOptions,
  basicOptions,
  apiKeyOptions,
  noneOptions,
]);
export type VerifyOptions = z.infer<typeof verifyOptions>;
export type VerifierType = VerifyOptions['type'];
