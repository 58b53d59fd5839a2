import { sign, verify } from '@octokit/webhooks-methods';
import t from 'tap';
import { request, verifier } from './request.js';

const OLD = 'old webhook secret';
const NEW = 'new webhook secret';
const body = '{\n  "action": "opened",\n  "number": 1\n}\n';
const withSig = (signature: string, payload = body, extra: Record<string, string> = {}) =>
  request({ body: payload, headers: { 'x-hub-signature-256': signature, ...extra } });

const github = verifier({ type: 'github', secrets: [NEW] });

t.test('a request signed by @octokit/webhooks-methods is valid', async (t) => {
  t.same(github.verify(withSig(await sign(NEW, body))), { ok: true });
});

t.test('rotation: the second secret of the list matches', async (t) => {
  const rotating = verifier({ type: 'github', secrets: [OLD, NEW] });
  t.same(rotating.verify(withSig(await sign(NEW, body))), { ok: true });
  t.same(github.verify(withSig(await sign(OLD, body))), { ok: false, reason: 'mismatch' });
});

t.test('a tampered body is a mismatch', async (t) => {
  t.same(github.verify(withSig(await sign(NEW, body), body.replace('opened', 'closed'))), {
    ok: false,
    reason: 'mismatch',
  });
});

t.test('the raw bytes are signed: re-serialized JSON does not match', async (t) => {
  const compact = JSON.stringify(JSON.parse(body));
  t.same(github.verify(withSig(await sign(NEW, body), compact)), { ok: false, reason: 'mismatch' });
});

t.test('malformed signatures', async (t) => {
  const hex = (await sign(NEW, body)).slice('sha256='.length);
  for (const header of [hex, `sha1=${hex}`, 'sha256=', `sha256=${hex.slice(2)}`, `sha256=${hex}zz`])
    t.same(github.verify(withSig(header)), { ok: false, reason: 'malformed' }, header);
});

t.test('missing: no header, and a legacy SHA-1 header alone is not enough', async (t) => {
  t.same(github.verify(request({ body })), { ok: false, reason: 'missing' });
  const legacy = request({
    body,
    headers: { 'x-hub-signature': 'sha1=0123456789abcdef0123456789abcdef01234567' },
  });
  t.same(github.verify(legacy), { ok: false, reason: 'missing' });
});

t.test('octokit’s verify agrees', async (t) => {
  const signature = await sign(NEW, body);
  t.equal(await verify(NEW, body, signature), true);
  t.equal(github.verify(withSig(signature)).ok, true);
  t.equal(await verify(OLD, body, signature), false);
  t.equal(verifier({ type: 'github', secrets: [OLD] }).verify(withSig(signature)).ok, false);
});

t.test('dedupe key: X-GitHub-Delivery', async (t) => {
  const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
  t.equal(github.dedupeKey?.({ headers: { 'x-github-delivery': delivery }, body: {} }), delivery);
  t.equal(github.dedupeKey?.({ headers: {}, body: {} }), undefined);
});
