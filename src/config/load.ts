import { readFileSync } from 'node:fs';
import { compileFilter } from '../record/filter.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { interpolate, protectExpressions, type InterpolationContext } from './interpolate.js';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/hookgate.yaml';

export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.HOOKGATE_CONFIG ?? DEFAULT_CONFIG_PATH;
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
  if (result.success) problems.push(...checkFilters(result.data));
  if (problems.length) throw new ConfigError(problems);
  return result.data!;
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

function checkFilters(config: Config): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(config.sources)) {
    for (const [i, r] of s.routes.entries()) {
      if (!r.filter) continue;
      try {
        compileFilter(r.filter);
      } catch (err) {
        problems.push(`sources.${name}.routes.${i}.filter: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}
