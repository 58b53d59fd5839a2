import type { Verifier } from './types.js';
import { ok } from './types.js';

/** Accepts every request: for senders that do not sign, or a gateway behind its own auth. */
export function none(): Verifier {
  return { type: 'none', verify: () => ok };
}
