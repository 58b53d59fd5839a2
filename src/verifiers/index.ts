import { apiKey } from './api-key.js';
import { basic } from './basic.js';
import { genericHmac } from './generic-hmac.js';
import { github } from './github.js';
import { none } from './none.js';
import type { VerifyOptions } from './options.js';
import { paddle } from './paddle.js';
import { shopify } from './shopify.js';
import { slack } from './slack.js';
import { square } from './square.js';
import { standardWebhooks } from './standard-webhooks.js';
import { stripe } from './stripe.js';
import { twilio } from './twilio.js';
import type { Verifier } from './types.js';

type Factory<T extends VerifyOptions['type']> = (options: Extract<VerifyOptions, { type: T }>) => Verifier;

/** Every verifier type by name; the mapped type makes a missing one a compile error. */
const factories: { [T in VerifyOptions['type']]: Factory<T> } = {
  stripe,
  slack,
  github,
  shopify,
  'standard-webhooks': standardWebhooks,
  twilio,
  paddle,
  square,
  hmac: genericHmac,
  basic,
  'api-key': apiKey,
  none,
};

export const verifierTypes = Object.keys(factories) as VerifyOptions['type'][];

export function createVerifier(options: VerifyOptions): Verifier {
  const factory = factories[options.type] as Factory<typeof options.type>;
  return factory(options);
}

export type { Verifier, VerifyInput, VerifyResult, FailureReason, DedupeInput } from './types.js';
