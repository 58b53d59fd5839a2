import type { Config } from './schema.js';

const SECRET_KEYS = new Set(['secrets', 'secret', 'token', 'password']);

/** The resolved config with every secret replaced, for `config check` and logs. */
export function maskSecrets(config: Config): unknown {
  return mask(config, '');
}

function mask(value: unknown, key: string): unknown {
  if (SECRET_KEYS.has(key)) {
    if (Array.isArray(value)) return value.map(() => '********');
    if (typeof value === 'string') return value ? '********' : value;
  }
  if (key === 'url' && typeof value === 'string') return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((v) => mask(v, ''));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  }
  return value;
}

function maskUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '********';
    return u.toString();
  } catch {
    return url;
  }
}
