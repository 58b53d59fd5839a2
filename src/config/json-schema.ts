import { z } from 'zod';
import { DESCRIPTIONS } from './descriptions.js';
import { configSchema } from './schema.js';

/** The formats JSON Schema 2020-12 defines; zod also emits its own (`starts_with`), which validators reject. */
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uuid',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

/** A value written as `${VAR}`, `${VAR:-default}` or `${file:/path}`: resolved at load time. */
const INTERPOLATED = { type: 'string', pattern: '\\$\\{[^}]+\\}' };

type Node = Record<string, unknown>;

/**
 * A scalar that is not a free-form string (a number, a boolean, an enum, a URL) may
 * still be written as `${VAR}` (`port: ${PORT:-8080}`), so the editor schema accepts
 * an interpolation there too; `default` and `description` stay on the outer node.
 */
function acceptsInterpolation(node: Node): Node {
  const type = node.type;
  const constrained =
    type === 'integer' ||
    type === 'number' ||
    type === 'boolean' ||
    (type === 'string' && ('enum' in node || 'format' in node || 'pattern' in node));
  if (!constrained || 'const' in node) return node;
  const { default: dflt, description, ...rest } = node;
  const out: Node = { anyOf: [rest, INTERPOLATED] };
  if (dflt !== undefined) out.default = dflt;
  if (description !== undefined) out.description = description;
  return out;
}

/** Keywords whose value is a map from names to schemas, not a schema itself. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);
/** Keywords whose value is data, not schemas. */
const DATA = new Set(['default', 'enum', 'const', 'examples', 'required']);

function rewrite(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v));
  if (!value || typeof value !== 'object') return value;
  const node: Node = {};
  for (const [k, v] of Object.entries(value as Node)) {
    if (k === 'format' && typeof v === 'string' && !STANDARD_FORMATS.has(v)) continue;
    if (DATA.has(k)) node[k] = v;
    else if (SCHEMA_MAPS.has(k) && v && typeof v === 'object')
      node[k] = Object.fromEntries(Object.entries(v as Node).map(([name, s]) => [name, rewrite(s)]));
    else node[k] = rewrite(v, k);
  }
  // Object keys are not interpolated: propertyNames stays as generated.
  return key === 'propertyNames' ? node : acceptsInterpolation(node);
}

/**
 * Gives every property its help text from DESCRIPTIONS, by path: a property adds
 * `.name`, a record's values (sources, destinations) `.*`; the branches of a union and
 * the items of a list stay at their parent's path.
 */
function describe(node: unknown, path: string): void {
  if (Array.isArray(node)) return node.forEach((n) => describe(n, path));
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  if (n.properties && typeof n.properties === 'object') {
    for (const [name, prop] of Object.entries(n.properties as Node)) {
      const at = path ? `${path}.${name}` : name;
      const text = DESCRIPTIONS[at];
      if (text && prop && typeof prop === 'object') (prop as Node).description ??= text;
      describe(prop, at);
    }
  }
  if (n.additionalProperties && typeof n.additionalProperties === 'object')
    describe(n.additionalProperties, `${path}.*`);
  for (const key of ['anyOf', 'oneOf', 'allOf', 'items']) if (n[key]) describe(n[key], path);
}

/** JSON Schema of the config file as written (input side: `5s`, `1mb`, `${VAR}` allowed), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = rewrite(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' })) as Node;
  describe(schema, '');
  return { ...schema, title: 'hookgate configuration' };
}
