import t from 'tap';
import { jsonField, jsonView } from '../../src/record/json-field.js';

/**
 * The ingress reads a body's event id straight from the text (jsonField): it must
 * read what JSON.parse would, and nothing from a text that is not JSON.
 */

/** mulberry32: the same cases on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** What JSON.parse finds at `path`, as jsonField reports it: scalars only. */
function expected(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const part of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value !== null && typeof value === 'object' ? undefined : value;
}

const SCALARS = [0, -1.5, 1e21, 2.5e-7, 'text', 'é"\\\n\u0001/', '', true, false, null, '\ud83d\ude00'];
const KEYS = ['id', 'type', 'é', 'a"b', 'data', 'object', ''];

t.test('reads what JSON.parse reads, at any path, in valid documents', async (t) => {
  const random = prng(99);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 3 || r < 0.35) return pick(SCALARS);
    if (r < 0.55) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    const out: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 5); i > 0; i--) out[pick(KEYS)] = value(depth + 1);
    return out;
  };
  let found = 0;
  for (let n = 0; n < 3000; n++) {
    const doc: Record<string, unknown> = {};
    for (const key of KEYS) if (random() < 0.6) doc[key] = value(1);
    const text = JSON.stringify(doc, null, random() < 0.3 ? 2 : undefined);
    // Mostly a path that exists, sometimes one that stops short or goes nowhere.
    const path: string[] = [];
    let at: unknown = doc;
    while (path.length === 0 || (random() < 0.5 && path.length < 4)) {
      const keys = at && typeof at === 'object' && !Array.isArray(at) ? Object.keys(at) : [];
      const key = keys.length && random() < 0.85 ? pick(keys) : pick(KEYS);
      path.push(key);
      at = at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
    }
    const want = expected(doc, path);
    if (want !== undefined) found++;
    t.same(jsonField(text, path), want, `${JSON.stringify(path)} in ${text}`);
  }
  t.ok(found > 500, `${found} fields found, the rest absent or not scalars`);
});

t.test('never throws, and reads nothing from a text that is not JSON up to the field', async (t) => {
  const random = prng(7);
  const pieces = [
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '"',
    '\\',
    ' ',
    '0',
    '-',
    '1e5',
    'tru',
    '\u0001',
    '\\u00',
    '\\x',
  ];
  let n = 0;
  for (; n < 3000; n++) {
    const base = JSON.stringify({ a: [1, { b: 'x' }], id: 'evt_1', c: { d: 2 } });
    const at = Math.floor(random() * base.length);
    const text = base.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + base.slice(at + 1);
    let got: unknown;
    try {
      got = jsonField(text, ['id']);
    } catch (err) {
      t.fail(`${JSON.stringify(text)} threw ${String(err)}`);
      continue;
    }
    const idAt = text.indexOf('"id"');
    // Broken before the id: nothing can be read. Broken after it: the id was read first.
    if (at < idAt && got !== undefined) {
      let parses = true;
      try {
        JSON.parse(text.slice(0, idAt - 1) + '}');
      } catch {
        parses = false;
      }
      if (!parses) t.fail(`${JSON.stringify(text)} gave ${JSON.stringify(got)}`);
    }
  }
  t.pass(`${n} broken texts read`);
  for (const text of [
    '',
    ' ',
    '{',
    '{"id"',
    '{"id":',
    '{"id":}',
    '{"id":"x',
    '{"id":01}',
    '{"id":"\\q"}',
    '["id"]',
    'null',
    '"id"',
    '{"a":[}, "id":"x"}',
    '{"a":1 "id":"x"}',
  ])
    t.equal(jsonField(text, ['id']), undefined, JSON.stringify(text));
});

t.test('any depth, no stack overflow; the first of a repeated key', async (t) => {
  const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
  t.equal(jsonField(`{"d":${deep},"id":"evt_1"}`, ['id']), 'evt_1', 'past a million levels');
  t.equal(jsonField(`{"d":${deep.slice(1)},"id":"evt_1"}`, ['id']), undefined, 'one bracket short');
  t.equal(jsonField(`{"id":"evt_1","d":${deep.slice(1)}`, ['id']), 'evt_1', 'read before the text breaks');
  t.equal(jsonField('{"id":"first","id":"second"}', ['id']), 'first');
  t.equal(jsonField('{"\\u0069d":"escaped key"}', ['id']), 'escaped key');
  t.equal(jsonField('{"data":{"object":{"id":"in_1"}},"id":"evt"}', ['data', 'object', 'id']), 'in_1');
  t.equal(
    jsonField('{"data":{"object":{"id":"in_1"}}}', ['data', 'object']),
    undefined,
    'an object is no field',
  );
});

t.test('jsonView: members read on demand, nested objects as views, what JSON.parse would give', async (t) => {
  const text = JSON.stringify({
    type: 'event_callback',
    event_id: 'Ev1',
    event: { type: 'app_mention', user: 'U1', n: null },
    list: [1, 2],
    __proto__: { polluted: true },
  }).replace('"list"', '"__proto__":{"x":1},"constructor":{"prototype":{}},"list"');
  const body = jsonView(text)!;
  t.equal(body.type, 'event_callback');
  t.ok(Object.hasOwn(body, 'event'));
  t.notOk(Object.hasOwn(body, 'missing'));
  const event = body.event as Record<string, unknown>;
  t.equal(event.type, 'app_mention');
  t.ok(Object.hasOwn(event, 'n'), 'a null member exists');
  t.equal(event.n, null);
  t.equal(body.list, undefined, 'arrays read as absent');
  t.equal(body.__proto__, undefined);
  t.equal(body.constructor, undefined);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.equal(jsonView('[1]'), undefined);
  t.equal(jsonView('  {"a":01}')!.a, undefined, 'a malformed member is absent');
  t.equal(jsonView(`{"d":${'['.repeat(100_000)}${']'.repeat(100_000)},"id":"x"}`)!.id, 'x');
});
