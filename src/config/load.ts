import { readFileSync } from 'node:fs';
import { compileFilter } from '../record/filter.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { interpolate, protectExpressions, type InterpolationContext } from './interpolate.js';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/hookgate.yaml';

export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  // An empty HOOKGATE_CONFIG (`HOOKGATE_CONFIG= hookgate serve`) counts as unset, as `${VAR:-...}` does.
  return explicit ?? (env.HOOKGATE_CONFIG || DEFAULT_CONFIG_PATH);
}

/** Reads, interpolates and validates a config file; throws ConfigError listing every problem. */
export function loadConfigFile(file: string, ctx: InterpolationContext = { env: process.env }): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  return parseConfig(text, ctx);
}

export function parseConfig(text: string, ctx: InterpolationContext = { env: process.env }): Config {
  let raw: unknown;
  const expressions = protectExpressions(text);
  try {
    raw = expressions.restore(parseYaml(expressions.text, { prettyErrors: true }) ?? {});
  } catch (err) {
    throw new ConfigError([`config is not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return validateConfig(raw, ctx);
}

export function validateConfig(raw: unknown, ctx: InterpolationContext = { env: process.env }): Config {
  const problems: string[] = [];
  const resolved = interpolate(raw, ctx, problems);
  const result = configSchema.safeParse(resolved);
  if (!result.success) problems.push(...formatIssues(result.error));
  // Filters are checked whatever else failed: every problem in one pass.
  problems.push(...checkFilters(resolved));
  if (problems.length) throw new ConfigError(problems);
  return result.data!;
}

/** One `path.to.field: message` line per problem; an unknown key is named in its path. */
export function formatIssues(error: z.ZodError): string[] {
  const line = (path: PropertyKey[], message: string) =>
    `${path.length ? path.map(String).join('.') : '(root)'}: ${message}`;
  return error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => line([...i.path, k], 'unknown key'));
    // A record key that fails its pattern: zod says "Invalid key in record"; the pattern's own message says why.
    if (i.code === 'invalid_key' && i.issues[0]) return [line(i.path, i.issues[0].message)];
    return [line(i.path, i.message)];
  });
}

function checkFilters(resolved: unknown): string[] {
  const problems: string[] = [];
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isRecord(resolved) || !isRecord(resolved.sources)) return problems;
  for (const [name, s] of Object.entries(resolved.sources)) {
    if (!isRecord(s) || !Array.isArray(s.routes)) continue;
    for (const [i, r] of s.routes.entries()) {
      if (!isRecord(r) || !isRecord(r.filter)) continue;
      try {
        compileFilter(r.filter);
      } catch (err) {
        problems.push(`sources.${name}.routes.${i}.filter: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}
