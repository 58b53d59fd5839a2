import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { buildEnvelope } from '../../src/record/build.js';

/**
 * The README is the user's contract: it must not send readers to a document they do not
 * have, and what it shows must be what hookgate does.
 */
const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** Files users get with a clone, minus installs and build output. */
function repositoryFiles(dir: string): string[] {
  return readdirSync(new URL(dir, root), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}${e.name}`;
    if (e.isDirectory())
      return ['node_modules', 'cdk.out', 'dist', 'coverage', '.git', '.tap', '.hookgate'].includes(e.name)
        ? []
        : repositoryFiles(`${path}/`);
    return /\.(ts|js|mjs|md|ya?ml|json)$|^Dockerfile$/.test(e.name) ? [path] : [];
  });
}

t.test('no file in the repository cites the internal spec', async (t) => {
  const files = repositoryFiles('').filter((f) => f !== 'test/docs/readme.test.ts');
  t.ok(files.length > 100, `${files.length} files read`);
  const citing = files.filter((f) =>
    /\bSPEC(\.md|\s*§|'s example)/.test(readFileSync(new URL(f, root), 'utf8')),
  );
  t.same(citing, [], 'say the rule itself (or point to the README), not "SPEC §n"');
});

/** Every key path of a JSON value, e.g. `requestContext.http.method`; maps of names stop at the map. */
function paths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  if (/(^|\.)(headers|queryStringParameters)$/.test(prefix)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => paths(v, prefix ? `${prefix}.${k}` : k));
}

t.test("the README's record example has the fields of a real record", async (t) => {
  const section = readme.slice(readme.indexOf('## The record'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  t.ok(block, 'the record section shows a JSON record');
  const shown = JSON.parse(block![1]!) as Record<string, unknown>;
  const real = buildEnvelope(
    {
      id: '01M8EGF0JWR5PFP33TF9ZXYG03',
      receivedAt: Date.parse('2026-11-27T10:00:00.123Z'),
      source: 'stripe',
      method: 'POST',
      routePath: '/hooks/stripe',
      path: '/hooks/stripe',
      rawQueryString: 'tag=a&tag=b',
      rawHeaders: ['Content-Type', 'application/json', 'Stripe-Signature', 't=1,v1=x'],
      body: Buffer.from('{"id":"evt_1Nx","type":"invoice.paid"}'),
      sourceIp: '203.0.113.9',
      protocol: 'HTTP/1.1',
      domainName: 'hooks.example.com',
      verified: true,
      verifier: 'stripe',
      dedupeKey: 'evt_1Nx',
      eventType: 'invoice.paid',
    },
    { condition: 'Success', response: { statusCode: 204, headers: {}, body: null, isBase64Encoded: false } },
  );
  t.same(paths(shown).sort(), paths(real).sort(), 'same field paths');
  const r = real as unknown as Record<string, Record<string, unknown>>;
  const s = shown as Record<string, Record<string, unknown>>;
  t.equal(s.timestamp, real.timestamp);
  t.same(s.requestPayload!.queryStringParameters, r.requestPayload!.queryStringParameters);
  t.same(
    (s.requestPayload!.requestContext as Record<string, unknown>).time,
    (r.requestPayload!.requestContext as Record<string, unknown>).time,
  );
  t.equal(s.requestPayload!.body, r.requestPayload!.body);
  t.equal(
    (s.requestPayload!.requestContext as Record<string, unknown>).timeEpoch,
    (r.requestPayload!.requestContext as Record<string, unknown>).timeEpoch,
  );
});
