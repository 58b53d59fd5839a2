import type { z } from 'zod';
import { equalsAnySecret } from './hmac.js';
import type { basicOptions } from './options.js';
import { fail, ok, type Verifier } from './types.js';

const BASIC = /^basic\s+([A-Za-z0-9+/]+={0,2})$/i;

/** HTTP Basic authentication (RFC 7617); each secret is one accepted `user:password`. */
export function basic(options: z.infer<typeof basicOptions>): Verifier {
  return {
    type: 'basic',
    challenge: 'Basic realm="hookgate", charset="UTF-8"',
    verify({ headers }) {
      const header = headers['authorization']?.trim();
      if (!header) return fail('missing');
      const encoded = BASIC.exec(header)?.[1];
      const credentials = encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
      if (!credentials?.includes(':')) return fail('malformed');
      return equalsAnySecret(credentials, options.secrets) ? ok : fail('mismatch');
    },
  };
}
