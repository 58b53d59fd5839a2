import type { VerifyOptions } from './options.js';
import { stripe } from './stripe.js';
import type { Verifier } from './types.js';

type Factory<T extends VerifyOptions['type']> = (options: Extract<VerifyOptions, { type: T }>) => Verifier;

/**
 * Every verifier type by name. A type not yet implemented throws at start-up, so a
 * config never silently runs unverified.
 */
const factories: { [T in VerifyOptions['type']]?: Factory<T> } = {
  stripe,
};

export function createVerifier(options: VerifyOptions): Verifier {
  const factory = factories[options.type] as Factory<typeof options.type> | undefined;
  if (!factory) throw new Error(`verifier type "${options.type}" is not available`);
  return factory(options as never);
}

export type { Verifier, VerifyInput, VerifyResult, FailureReason, DedupeInput } from './types.js';
