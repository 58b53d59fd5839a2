import type { z } from 'zod';
import { equalsAnySecret } from './hmac.js';
import type { apiKeyOptions } from './options.js';
import { queryParam } from './query-param.js';
import { fail, ok, type Verifier } from './types.js';

/**
 * A shared key in a header or a query parameter. In `Authorization` the key may follow
 * `Bearer `, the usual way senders put a token there.
 */
export function apiKey(options: z.infer<typeof apiKeyOptions>): Verifier {
  const header = options.name.toLowerCase();
  return {
    type: 'api-key',
    verify({ headers, url }) {
      let key = options.in === 'header' ? headers[header]?.trim() : queryParam(url, options.name);
      if (key && header === 'authorization' && options.in === 'header')
        key = key.replace(/^bearer(\s+|$)/i, '');
      if (!key) return fail('missing');
      return equalsAnySecret(key, options.secrets) ? ok : fail('mismatch');
    },
  };
}
