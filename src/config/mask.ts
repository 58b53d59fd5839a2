import { REDACTED_HEADERS } from '../log.js';
import type { Config } from './schema.js';

const MASK = '********';
const SECRET_KEYS = new Set(['secrets', 'secret', 'token', 'password']);
/** Header and query parameter names whose value is a credential. */
const SENSITIVE_NAME =
  /auth|token|secret|password|passwd|signature|(^|[-_])sig($|[-_])|api[-_]?key|cookie|session/i;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The resolved config with every secret replaced, for `config check`: verifier
 * secrets, tokens, passwords in any URL (Redis, cluster nodes, endpoints,
 * destinations), credential-looking query parameters, and the values of credential
 * headers a destination sends (`authorization`, `x-api-key`, ...).
 */
export function maskSecrets(config: Config): unknown {
  return mask(config, '');
}

function mask(value: unknown, key: string): unknown {
  if (SECRET_KEYS.has(key)) {
    if (Array.isArray(value)) return value.map(() => MASK);
    if (typeof value === 'string') return value ? MASK : value;
  }
  if (typeof value === 'string') return URL_LIKE.test(value) ? maskUrl(value) : value;
  if (Array.isArray(value)) return value.map((v) => mask(v, ''));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        key === 'headers' && typeof v === 'string' && sensitiveHeader(k) ? MASK : mask(v, k),
      ]),
    );
  }
  return value;
}

function sensitiveHeader(name: string): boolean {
  return REDACTED_HEADERS.includes(name.toLowerCase()) || SENSITIVE_NAME.test(name);
}

function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    let changed = false;
    if (u.password) {
      u.password = MASK;
      changed = true;
    }
    for (const name of [...u.searchParams.keys()]) {
      if (SENSITIVE_NAME.test(name)) {
        u.searchParams.set(name, MASK);
        changed = true;
      }
    }
    return changed ? u.toString() : url;
  } catch {
    return url;
  }
}
