import { z } from 'zod';
import { duration, secrets } from '../options/types.js';
import { parseSigningKey } from './standard-webhooks-keys.js';

/**
 * Option schemas of every verifier type. Each type takes a list of secrets
 * (rotation: any may match) and, where the scheme has a timestamp, a `tolerance`:
 * how far the signed timestamp may be from now (0 turns the check off). Defaults are
 * the providers' own SDK defaults.
 */
const withTolerance = (fallback: string) => ({
  /** Signing secrets; during a rotation list the old and the new one. */
  secrets: secrets(),
  /** Maximum distance between the signed timestamp and now; 0 disables the check. */
  tolerance: duration().prefault(fallback),
});

const lowerCaseHeader = () =>
  z
    .string()
    .min(1)
    .transform((h) => h.toLowerCase());

/** A URL whose query string comes from each request (the sender signs the URL it called). */
const baseUrl = () =>
  z
    .string()
    .url()
    .refine((u) => !/[?#]/.test(u), 'must not have a query string or fragment: the request’s own is used');

/** `whsec_` secrets and `whpk_` public keys, checked here so a bad key is a config error. */
const signingKeys = () =>
  secrets().superRefine((list, ctx) => {
    for (const [i, secret] of list.entries()) {
      const parsed = parseSigningKey(secret);
      if ('error' in parsed) ctx.addIssue({ code: 'custom', path: [i], message: parsed.error });
    }
  });

/** Stripe: the endpoint's `whsec_...` signing secret(s). stripe-node's default tolerance is 5 minutes. */
export const stripeOptions = z.strictObject({ type: z.literal('stripe'), ...withTolerance('5m') });

/** Slack: the app's signing secret(s) (not the verification token). */
export const slackOptions = z.strictObject({ type: z.literal('slack'), ...withTolerance('5m') });

export const githubOptions = z.strictObject({
  type: z.literal('github'),
  /** The webhook secret(s); GitHub signs without a timestamp. */
  secrets: secrets(),
});

export const shopifyOptions = z.strictObject({
  type: z.literal('shopify'),
  /** The app's client secret(s) (or the store's webhook signing key for admin-created webhooks). */
  secrets: secrets(),
});

export const standardWebhooksOptions = z.strictObject({
  type: z.literal('standard-webhooks'),
  /** `whsec_...` symmetric secrets (Svix's too) and/or `whpk_...` Ed25519 public keys. */
  secrets: signingKeys(),
  /** Applies to both sides (too old: expired; too far ahead: future). */
  tolerance: duration().prefault('5m'),
});

export const twilioOptions = z.strictObject({
  type: z.literal('twilio'),
  /** Account auth token(s); during a rotation, the primary and the secondary token. */
  secrets: secrets(),
  /**
   * The webhook URL as configured in Twilio, without its query string (the request's is
   * appended, as Twilio adds `bodySHA256` per request). Default: the URL the gateway saw
   * (server.publicUrl, or rebuilt from the request honouring trustProxy).
   */
  url: baseUrl().optional(),
});

/** Paddle Billing: the notification destination's secret key(s). paddle-node-sdk allows 5 seconds. */
export const paddleOptions = z.strictObject({ type: z.literal('paddle'), ...withTolerance('5s') });

export const squareOptions = z.strictObject({
  type: z.literal('square'),
  /** The subscription's signature key(s). */
  secrets: secrets(),
  /** The notification URL exactly as registered in Square (it is part of the signed string); default: the URL the gateway saw. */
  notificationUrl: z.string().url().optional(),
});

export const hmacOptions = z
  .strictObject({
    type: z.literal('hmac'),
    /** Shared secret(s), used as UTF-8 bytes. */
    secrets: secrets(),
    /** Header carrying the signature; it may hold several, comma or space separated. */
    header: lowerCaseHeader(),
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
    /** How the digest is written in the header. */
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** Text before the digest in the header, e.g. `sha256=`. */
    prefix: z.string().default(''),
    /** Header carrying a unix timestamp (seconds or ms) that is part of the signed string. */
    timestampHeader: lowerCaseHeader().optional(),
    /** What is signed; `{timestamp}` and `{body}` are replaced. Default `{body}`, or `{timestamp}.{body}` with a timestampHeader. */
    signedString: z.string().optional(),
    /** With a timestampHeader: maximum distance from now, either side; 0 disables the check. */
    tolerance: duration().prefault('5m'),
  })
  .superRefine((o, ctx) => {
    if (o.signedString === undefined) return;
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['signedString'], message });
    if (!o.signedString.includes('{body}')) issue('must contain {body}, or the body would go unsigned');
    if (o.signedString.includes('{timestamp}') && !o.timestampHeader)
      issue('uses {timestamp} but no timestampHeader is set');
    if (o.timestampHeader && !o.signedString.includes('{timestamp}'))
      issue('must contain {timestamp} when timestampHeader is set, or the timestamp would go unsigned');
  });

export const basicOptions = z.strictObject({
  type: z.literal('basic'),
  /** Accepted `user:password` pairs. */
  secrets: secrets().superRefine((list, ctx) => {
    for (const [i, s] of list.entries())
      if (!s.includes(':')) ctx.addIssue({ code: 'custom', path: [i], message: 'must be user:password' });
  }),
});

export const apiKeyOptions = z.strictObject({
  type: z.literal('api-key'),
  /** Accepted keys. */
  secrets: secrets(),
  /** Where the key travels. A query-string key also lands in logs of every proxy on the way; prefer a header. */
  in: z.enum(['header', 'query']).default('header'),
  /** Header or query parameter name. In `authorization`, a `Bearer ` prefix is accepted. */
  name: z.string().min(1).default('x-api-key'),
});

/** No verification: every request is accepted. */
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
