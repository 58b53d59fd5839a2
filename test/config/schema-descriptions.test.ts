import t from 'tap';
import { DESCRIPTIONS } from '../../src/config/descriptions.js';
import { configJsonSchema } from '../../src/config/json-schema.js';

type Node = Record<string, unknown>;

/** Every property of the schema with its path (`sources.*.verify.secrets`) and node. */
function properties(node: unknown, path = '', out: [string, Node][] = []): [string, Node][] {
  if (Array.isArray(node)) node.forEach((n) => properties(n, path, out));
  if (!node || typeof node !== 'object' || Array.isArray(node)) return out;
  const n = node as Node;
  for (const [name, prop] of Object.entries((n.properties ?? {}) as Node)) {
    const at = path ? `${path}.${name}` : name;
    out.push([at, prop as Node]);
    properties(prop, at, out);
  }
  if (n.additionalProperties && typeof n.additionalProperties === 'object')
    properties(n.additionalProperties, `${path}.*`, out);
  for (const key of ['anyOf', 'oneOf', 'allOf', 'items']) if (n[key]) properties(n[key], path, out);
  return out;
}

t.test('config schema: every field has a description, for editor help', async (t) => {
  const all = properties(configJsonSchema());
  t.ok(all.length > 100, `${all.length} properties`);
  const undescribed = all.filter(([, node]) => typeof node.description !== 'string' || !node.description);
  t.same(
    undescribed.map(([path]) => path),
    [],
    'no field without a description',
  );
  const paths = new Set(all.map(([path]) => path));
  t.same(
    Object.keys(DESCRIPTIONS).filter((k) => !paths.has(k)),
    [],
    'no description for a field that does not exist',
  );
  const port = all.find(([p]) => p === 'server.port')![1];
  t.match(port.description, /Webhook port/);
});
