/**
 * Reads docker-compose.yml the way `docker compose` does for what the tests need:
 * YAML merge keys (`<<: *hookgate`) and `${VAR}`, `${VAR:-default}`, `${VAR-default}`
 * interpolation from a given shell environment (empty by default: a fresh clone with
 * no .env file).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  build?: { context?: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  profiles?: string[];
  container_name?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  init?: boolean;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|\$\$/g;

export function interpolateCompose(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(VAR, (m, name?: string, colon?: string, fallback?: string) => {
    if (m === '$$') return '$';
    const v = shell[name!];
    if (fallback === undefined) return v ?? '';
    // `:-` replaces unset or empty; `-` replaces only unset.
    if (colon) return v === undefined || v === '' ? fallback : v;
    return v === undefined ? fallback : v;
  });
}

function deepInterpolate(value: unknown, shell: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolateCompose(value, shell);
  if (Array.isArray(value)) return value.map((v) => deepInterpolate(v, shell));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepInterpolate(v, shell)]));
  }
  return value;
}

export function readCompose(file: string, shell: Record<string, string | undefined> = {}): ComposeFile {
  const raw = parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
  return deepInterpolate(raw, shell) as ComposeFile;
}

/** A service's environment as the container sees it (all values strings). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.environment ?? {})) env[k] = v === null ? '' : String(v);
  return env;
}
