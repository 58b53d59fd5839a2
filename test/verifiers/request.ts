import { createVerifier, type Verifier, type VerifyInput } from '../../src/verifiers/index.js';
import { verifyOptions } from '../../src/verifiers/options.js';

/** A fixed clock: no test depends on the machine's time. */
export const NOW = Date.UTC(2026, 10, 27, 10, 0, 0);
export const NOW_SECONDS = NOW / 1000;

export function request(over: Partial<VerifyInput> & { body?: string | Buffer } = {}): VerifyInput {
  const { body = '{}', ...rest } = over;
  return {
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    headers: {},
    method: 'POST',
    url: 'https://hooks.example.com/hooks/test',
    now: NOW,
    ...rest,
  };
}

/** Built from config-shaped options, through the same schema the config file goes through. */
export function verifier(options: Record<string, unknown>): Verifier {
  return createVerifier(verifyOptions.parse(options));
}
