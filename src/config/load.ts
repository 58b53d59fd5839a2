import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compileFilter } from '../record/filter.js';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { destinationOptions } from '../destinations/options.js';
import { ConfigError } from '../errors.js';
import { verifyOptions } from '../verifiers/options.js';
import {
  interpolate,
  protectExpressions,
  type InterpolationContext,
  type UnsetVariables,
} from './interpolate.js';
import { configSchema, inspectConfigSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/hookgate.yaml';
export const EXAMPLE_CONFIG_PATH = 'config/hookgate.example.yaml';

export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  // An empty HOOKGATE_CONFIG (`HOOKGATE_CONFIG= hookgate serve`) counts as unset, as `${VAR:-...}` does.
  return explicit ?? (env.HOOKGATE_CONFIG || DEFAULT_CONFIG_PATH);
}

/**
 * What a command does with the secrets hookgate checks requests against or signs with
 * (verifier secrets, `admin.token`, a destination's `sign.secret`):
 * - `require` (serve, worker, config check): present, and none a placeholder;
 * - `generate` (dev): a placeholder is swapped for a random secret, reported through
 *   `onGenerated` so the developer can sign with it;
 * - `unchecked` (dlq, events: they verify and sign nothing): not needed, not checked.
 */
export type SecretsMode = 'require' | 'generate' | 'unchecked';

export interface GeneratedSecret {
  /** `sources.stripe.verify.secrets.0` */
  path: string;
  /** The variables that were unset, whose default was the placeholder. */
  variables: string[];
  secret: string;
}

export interface LoadOptions {
  secrets?: SecretsMode;
  onGenerated?: (generated: GeneratedSecret) => void;
}

/**
 * A documented placeholder: a secret that contains `change_me` (also `change-me`,
 * `changeme`, any case), the marker every default in hookgate's shipped configs that
 * must be replaced carries (`whsec_change_me`). It is public, so it must never verify.
 */
const PLACEHOLDER = /change[-_]?me/i;

export function isPlaceholder(secret: string): boolean {
  return PLACEHOLDER.test(secret);
}

/** Reads, interpolates and validates a config file; throws ConfigError listing every problem. */
export function loadConfigFile(
  file: string,
  ctx: InterpolationContext = { env: process.env },
  options: LoadOptions = {},
): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError([
        `config file ${file} does not exist: copy ${EXAMPLE_CONFIG_PATH} (every key, commented) ` +
          `to ${DEFAULT_CONFIG_PATH}, or name yours with --config <file> or HOOKGATE_CONFIG`,
      ]);
    }
    throw new ConfigError([`cannot read config file ${file}: ${code ?? String(err)}`]);
  }
  return parseConfig(text, ctx, options);
}

export function parseConfig(
  text: string,
  ctx: InterpolationContext = { env: process.env },
  options: LoadOptions = {},
): Config {
  const expressions = protectExpressions(text);
  const doc = parseDocument(expressions.text, { prettyErrors: true });
  // Every syntax error at once, each with its line and the excerpt the parser shows.
  if (doc.errors.length) throw new ConfigError(doc.errors.map((e) => yamlProblem(e.message)));
  return validateConfig(expressions.restore(doc.toJS() ?? {}), ctx, options);
}

/** `Message at line 3, column 1:\n\n<excerpt>\n^\n` -> the message, then the excerpt indented. */
function yamlProblem(message: string): string {
  const [first = '', ...excerpt] = message.trimEnd().split('\n');
  const context = excerpt.filter((l, i) => i > 0 || l.trim() !== '').map((l) => `    ${l}`);
  return [`config is not valid YAML: ${first}`, ...context].join('\n');
}

export function validateConfig(
  raw: unknown,
  ctx: InterpolationContext = { env: process.env },
  options: LoadOptions = {},
): Config {
  const mode = options.secrets ?? 'require';
  const problems: string[] = [];
  const unset: UnsetVariables = new Map();
  const resolved = interpolate(raw, ctx, problems, '', unset);
  if (mode === 'generate') generateSecrets(resolved, unset, options.onGenerated);
  if (mode === 'require') problems.push(...placeholderProblems(resolved, unset));
  const schema = mode === 'unchecked' ? inspectConfigSchema : configSchema;
  const result = schema.safeParse(resolved, { error: userMessage });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const lines = formatIssues(new z.ZodError([issue]), unset);
      const hidden = hiddenByType(issue, resolved, unset, mode);
      if (hidden.guess) lines[0] += ` (did you mean "${hidden.guess}"?)`;
      problems.push(...lines, ...hidden.problems);
    }
  }
  // Filters are checked whatever else failed: every problem in one pass.
  problems.push(...checkFilters(resolved));
  if (problems.length) throw new ConfigError([...new Set(problems)]);
  return result.data as Config;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** A secret in the resolved tree: its path, and the object or list holding it under `key`. */
interface Slot {
  path: string;
  holder: Record<string | number, unknown>;
  key: string | number;
}

/** Where the secrets that verify or sign sit in the (resolved, unparsed) tree. */
function secretSlots(resolved: unknown): Slot[] {
  const slots: Slot[] = [];
  if (!isRecord(resolved)) return slots;
  if (isRecord(resolved.admin) && typeof resolved.admin.token === 'string')
    slots.push({ path: 'admin.token', holder: resolved.admin, key: 'token' });
  for (const [name, s] of Object.entries(isRecord(resolved.sources) ? resolved.sources : {})) {
    if (!isRecord(s) || !isRecord(s.verify) || !Array.isArray(s.verify.secrets)) continue;
    for (const [i, v] of s.verify.secrets.entries())
      if (typeof v === 'string')
        slots.push({
          path: `sources.${name}.verify.secrets.${i}`,
          holder: s.verify.secrets as unknown as Slot['holder'],
          key: i,
        });
  }
  for (const [name, d] of Object.entries(isRecord(resolved.destinations) ? resolved.destinations : {})) {
    if (isRecord(d) && isRecord(d.sign) && typeof d.sign.secret === 'string')
      slots.push({ path: `destinations.${name}.sign.secret`, holder: d.sign, key: 'secret' });
  }
  return slots;
}

const valueAt = (slot: Slot): string => slot.holder[slot.key] as string;

function placeholderProblems(resolved: unknown, unset: UnsetVariables): string[] {
  return secretSlots(resolved).flatMap((slot) => {
    const value = valueAt(slot);
    if (!isPlaceholder(value)) return [];
    const vars = unset.get(slot.path);
    const fix = vars?.length
      ? `set ${vars.join(' / ')}`
      : 'replace it with the real secret, e.g. "${MY_SECRET}" from the environment';
    return [
      `${slot.path}: "${value}" is a placeholder, not a secret: ${fix} (only hookgate dev runs with placeholders, on a random secret)`,
    ];
  });
}

/**
 * `hookgate dev`: the marker in a placeholder becomes random hex, so the rest of the
 * value keeps its shape (`whsec_…` stays a valid Standard Webhooks secret, `user:…` a
 * basic-auth pair).
 */
function generateSecrets(
  resolved: unknown,
  unset: UnsetVariables,
  onGenerated: LoadOptions['onGenerated'],
): void {
  for (const slot of secretSlots(resolved)) {
    const value = valueAt(slot);
    if (!isPlaceholder(value)) continue;
    const secret = value.replace(PLACEHOLDER, randomBytes(24).toString('hex'));
    slot.holder[slot.key] = secret;
    onGenerated?.({ path: slot.path, variables: unset.get(slot.path) ?? [], secret });
  }
}

const KIND: Record<string, string> = {
  array: 'a list',
  object: 'a mapping (key: value)',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  record: 'a mapping (key: value)',
};
const kind = (expected: unknown) => KIND[String(expected)] ?? String(expected);

/** What each branch of a union wanted at its root (`true or false or a mapping`). */
function expectations(branches: z.core.$ZodIssue[][]): string[] {
  return branches.flatMap((issues) =>
    issues.flatMap((e) => {
      if (e.path.length) return [];
      if (e.code === 'invalid_type') return [kind(e.expected)];
      if (e.code === 'invalid_value') return e.values.map(String);
      if (e.code === 'invalid_union') return expectations(e.errors);
      return [];
    }),
  );
}
const oneOf = (values: readonly unknown[]) => `must be one of ${values.map(String).join(', ')}`;

/**
 * zod's default messages in a user's words (`is required`, `must be one of …`), not its
 * own (`Invalid input: expected array, received undefined`). Messages the schema writes
 * itself take precedence over these.
 */
function userMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${kind(issue.expected)}`;
    case 'invalid_value':
      return oneOf(issue.values);
    case 'invalid_union': {
      if (issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const missing = isRecord(issue.input) && issue.input[issue.discriminator] === undefined;
        return missing ? `is required: one of ${options.map(String).join(', ')}` : oneOf(options);
      }
      // `true or false`, not `true or false or "true" or "false"` (bool() also takes the strings).
      const all = [...new Set(expectations(issue.errors))];
      const expected = all.filter((e) => !all.some((o) => o !== e && o.split(' ').includes(e)));
      return expected.length ? `must be ${expected.join(' or ')}` : 'is not a valid value';
    }
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)}`;
      if (issue.origin === 'string')
        return Number(issue.minimum) === 1
          ? 'must not be empty'
          : `must be at least ${String(issue.minimum)} characters`;
      return issue.inclusive === false
        ? `must be more than ${String(issue.minimum)}`
        : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'string')
        return `is too long (at most ${String(issue.maximum)})`;
      return issue.inclusive === false
        ? `must be less than ${String(issue.maximum)}`
        : `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      if (issue.format === 'url') return 'must be a URL (https://…)';
      if (issue.format === 'starts_with')
        return `must start with "${String((issue as { prefix?: string }).prefix)}"`;
      return `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
}

/** One `path.to.field: message` line per problem; an unknown key is named in its path. */
export function formatIssues(error: z.ZodError, unset: UnsetVariables = new Map()): string[] {
  const line = (path: PropertyKey[], message: string) => {
    const at = path.map(String).join('.');
    // A value that came out empty or wrong because a variable was unset: say which.
    const vars = unset.get(at);
    const hint = vars?.length ? ` (${vars.join(', ')} ${vars.length === 1 ? 'is' : 'are'} not set)` : '';
    return `${at || '(root)'}: ${message}${hint}`;
  };
  return error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => line([...i.path, k], 'unknown key'));
    // A record key that fails its pattern: zod says "Invalid key in record"; the pattern's own message says why.
    if (i.code === 'invalid_key' && i.issues[0]) return [line(i.path, i.issues[0].message)];
    return [line(i.path, i.message)];
  });
}

type Union = typeof destinationOptions | typeof verifyOptions;
type Shape = Record<string, z.ZodType>;

/**
 * A block whose `type` is wrong is refused by its union before any other field is
 * looked at. Every problem in one pass: the block is checked again as the type it
 * most likely meant (a near miss such as `sqss`), or else against the fields every
 * type has (`timeout`, `retry`, …).
 */
function hiddenByType(
  issue: z.core.$ZodIssue,
  resolved: unknown,
  unset: UnsetVariables,
  mode: SecretsMode,
): { guess?: string; problems: string[] } {
  const none = { problems: [] };
  if (issue.code !== 'invalid_union' || !issue.discriminator) return none;
  const blockPath = issue.path.slice(0, -1);
  const union: Union | undefined =
    blockPath[0] === 'destinations' && blockPath.length === 2
      ? destinationOptions
      : blockPath[0] === 'sources' && blockPath[2] === 'verify' && mode !== 'unchecked'
        ? verifyOptions
        : undefined;
  const block = blockPath.reduce<unknown>((v, k) => (isRecord(v) ? v[String(k)] : undefined), resolved);
  if (!union || !isRecord(block)) return none;
  const options = union.options as unknown as z.ZodObject<Shape>[];
  const types = options.map((o) => String((o.shape.type as z.ZodLiteral).value));
  const guess = typeof block.type === 'string' ? closest(block.type, types) : undefined;
  let check: z.ZodType;
  let input: Record<string, unknown> = block;
  if (guess !== undefined) {
    check = options[types.indexOf(guess)]!;
    input = { ...block, type: guess };
  } else {
    const shared = Object.keys(options[0]!.shape).filter(
      (k) => k !== 'type' && options.every((o) => o.shape[k] === options[0]!.shape[k]),
    );
    if (!shared.length) return none;
    check = z.looseObject(Object.fromEntries(shared.map((k) => [k, options[0]!.shape[k]!])));
  }
  const again = check.safeParse(input, { error: userMessage });
  const moved = again.success
    ? []
    : again.error.issues.map((i) => ({ ...i, path: [...blockPath, ...i.path] }));
  return { ...(guess ? { guess } : {}), problems: formatIssues(new z.ZodError(moved), unset) };
}

/** The one type within two edits (or differing only in case) of what was written. */
function closest(written: string, types: string[]): string | undefined {
  const w = written.trim().toLowerCase();
  const scored = types.map((t) => ({ t, d: distance(w, t) })).filter((x) => x.d <= 2);
  const best = Math.min(...scored.map((x) => x.d));
  const near = scored.filter((x) => x.d === best);
  return near.length === 1 ? near[0]!.t : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function checkFilters(resolved: unknown): string[] {
  const problems: string[] = [];
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
