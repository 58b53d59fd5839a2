import { readFileSync } from 'node:fs';

/**
 * Replaces `${VAR}`, `${VAR:-default}` and `${file:/path}` in every string of the
 * parsed YAML tree. Substituting after parsing (not in the raw text) means a secret
 * containing `:` or `#` cannot change the document's structure.
 */
const PATTERN = /\$\{([^}]+)\}/g;

/**
 * `${...}` is not a valid plain scalar inside a YAML flow mapping (`{ token: ${T} }`,
 * which configs write unquoted): `{` starts a nested map. Before parsing, every `${...}`
 * in the text is swapped for a placeholder made of letters and digits only (valid
 * anywhere a scalar is), and the parsed tree gets the original text back, so values
 * are still substituted after parsing and cannot change the document's structure.
 */
export function protectExpressions(text: string): { text: string; restore: (value: unknown) => unknown } {
  const originals: string[] = [];
  let nonce = 0;
  while (text.includes(`hgvar${nonce}x`)) nonce++;
  const tag = `hgvar${nonce}x`;
  const protectedText = text.replace(/\$\{[^}\r\n]+\}/g, (m) => `${tag}${originals.push(m) - 1}x`);
  if (!originals.length) return { text, restore: (v) => v };
  const placeholder = new RegExp(`${tag}(\\d+)x`, 'g');
  const back = (s: string) => s.replace(placeholder, (_m, i: string) => originals[Number(i)]!);
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') return back(value);
    if (Array.isArray(value)) return value.map(restore);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [back(k), restore(v)]));
    }
    return value;
  };
  return { text: protectedText, restore };
}

export interface InterpolationContext {
  env: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
}

/**
 * The variables each value used that were unset (or empty), by dotted path
 * (`sources.slack.verify.secrets.0`), whether a default stood in or not: so a problem
 * with that value can name the variable to set.
 */
export type UnsetVariables = Map<string, string[]>;

export function interpolate(
  value: unknown,
  ctx: InterpolationContext,
  problems: string[],
  path = '',
  unset: UnsetVariables = new Map(),
): unknown {
  if (typeof value === 'string') return interpolateString(value, ctx, problems, path, unset);
  if (Array.isArray(value))
    return value.map((v, i) => interpolate(v, ctx, problems, join(path, String(i)), unset));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, ctx, problems, join(path, k), unset);
    return out;
  }
  return value;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function interpolateString(
  input: string,
  ctx: InterpolationContext,
  problems: string[],
  path: string,
  unset: UnsetVariables,
): string {
  const read = ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  return input.replace(PATTERN, (_match, expr: string) => {
    if (expr.startsWith('file:')) {
      const file = expr.slice(5);
      try {
        // Docker/ECS secret files end with a newline that is never part of the secret.
        return read(file).replace(/\r?\n$/, '');
      } catch {
        problems.push(`${path || '(root)'}: cannot read secret file ${file}`);
        return '';
      }
    }
    const sep = expr.indexOf(':-');
    const name = sep === -1 ? expr : expr.slice(0, sep);
    const fallback = sep === -1 ? undefined : expr.slice(sep + 2);
    const v = ctx.env[name];
    if (v !== undefined && v !== '') return v;
    unset.set(path, [...(unset.get(path) ?? []), name]);
    // An unset variable without a default becomes empty: optional settings (admin.token)
    // are then off, and required ones (secrets) fail validation with their own path.
    return fallback ?? '';
  });
}
