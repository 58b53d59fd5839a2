import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';

/**
 * The signing key: a `whsec_`-prefixed secret is base64 after the prefix (what
 * Standard Webhooks / Svix hand out); any other secret is used as its raw UTF-8 bytes,
 * so an operator can pick a plain string (the receiver then loads it in "raw" form).
 */
export function standardWebhookKey(secret: string): Buffer {
  const key = secret.startsWith(PREFIX)
    ? Buffer.from(secret.slice(PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
  if (key.length === 0) throw new Error('the signing secret decodes to an empty key');
  return key;
}

/** `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` over the exact bytes sent. */
export function signStandardWebhook(key: Buffer, id: string, timestampSeconds: number, body: Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}
