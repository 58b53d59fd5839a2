import { generateKeyPairSync, randomBytes, sign as ed25519Sign } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import t from 'tap';
import { NOW, NOW_SECONDS, request, verifier } from './request.js';

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const OLD = secret();
const NEW = secret();
const msgId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const body = '{"type":"invoice.paid","data":{"id":"in_1"}}';

function signed(key: string, at = NOW, payload = body, family: 'webhook' | 'svix' = 'webhook') {
  return {
    [`${family}-id`]: msgId,
    [`${family}-timestamp`]: String(Math.floor(at / 1000)),
    [`${family}-signature`]: new Webhook(key).sign(msgId, new Date(at), payload),
  };
}
const withHeaders = (headers: Record<string, string>, payload = body) => request({ body: payload, headers });

const sw = verifier({ type: 'standard-webhooks', secrets: [NEW] });

t.test('a request signed by the standardwebhooks SDK is valid', async (t) => {
  t.same(sw.verify(withHeaders(signed(NEW))), { ok: true });
});

t.test('Svix’s svix-* headers are the same scheme', async (t) => {
  t.same(sw.verify(withHeaders(signed(NEW, NOW, body, 'svix'))), { ok: true });
});

t.test('rotation: the second secret of the list matches', async (t) => {
  const rotating = verifier({ type: 'standard-webhooks', secrets: [OLD, NEW] });
  t.same(rotating.verify(withHeaders(signed(NEW))), { ok: true });
  t.same(sw.verify(withHeaders(signed(OLD))), { ok: false, reason: 'mismatch' });
});

t.test('rotation on the sender’s side: one signature per key, space-delimited', async (t) => {
  const both = signed(OLD);
  both['webhook-signature'] += ` ${signed(NEW)['webhook-signature']}`;
  t.same(sw.verify(withHeaders(both)), { ok: true });
});

t.test('tolerance on both sides', async (t) => {
  t.same(sw.verify(withHeaders(signed(NEW, NOW - 301_000))), { ok: false, reason: 'expired' });
  t.same(sw.verify(withHeaders(signed(NEW, NOW + 301_000))), { ok: false, reason: 'future' });
  t.same(sw.verify(withHeaders(signed(NEW, NOW - 300_000))), { ok: true }, 'at the past edge');
  t.same(sw.verify(withHeaders(signed(NEW, NOW + 300_000))), { ok: true }, 'at the future edge');
  const wide = verifier({ type: 'standard-webhooks', secrets: [NEW], tolerance: '1h' });
  t.same(wide.verify(withHeaders(signed(NEW, NOW - 3_000_000))), { ok: true });
});

t.test('the SDK’s own verify agrees on expiry', async (t) => {
  const stale = signed(NEW, Date.now() - 301_000);
  t.throws(() => new Webhook(NEW).verify(body, stale));
  t.same(sw.verify(request({ body, headers: stale, now: Date.now() })), { ok: false, reason: 'expired' });
});

t.test('a tampered body, id or timestamp is a mismatch', async (t) => {
  const h = signed(NEW);
  t.same(sw.verify(withHeaders(h, body.replace('in_1', 'in_2'))), { ok: false, reason: 'mismatch' });
  t.same(sw.verify(withHeaders({ ...h, 'webhook-id': 'msg_other' })), { ok: false, reason: 'mismatch' });
  t.same(sw.verify(withHeaders({ ...h, 'webhook-timestamp': String(NOW_SECONDS - 1) })), {
    ok: false,
    reason: 'mismatch',
  });
});

t.test('malformed headers', async (t) => {
  const h = signed(NEW);
  const sig = h['webhook-signature']!.slice('v1,'.length);
  const cases: Record<string, string>[] = [
    { 'webhook-timestamp': 'soon' },
    { 'webhook-timestamp': '-1' },
    { 'webhook-signature': sig },
    { 'webhook-signature': `v2,${sig}` },
    { 'webhook-signature': 'v1,!!!' },
    { 'webhook-signature': `v1,${sig.slice(4)}` },
  ];
  for (const over of cases)
    t.same(
      sw.verify(withHeaders({ ...h, ...over })),
      { ok: false, reason: 'malformed' },
      JSON.stringify(over),
    );
});

t.test('missing headers; the two header families are never mixed', async (t) => {
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const h = signed(NEW);
    delete h[name];
    t.same(sw.verify(withHeaders(h)), { ok: false, reason: 'missing' }, `without ${name}`);
  }
  const mixed: Record<string, string> = { ...signed(NEW), 'svix-id': msgId };
  delete mixed['webhook-id'];
  t.same(sw.verify(withHeaders(mixed)), { ok: false, reason: 'missing' });
});

t.test('v1a: Ed25519 signatures against a whpk_ public key, beside whsec_ secrets', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const mixed = verifier({ type: 'standard-webhooks', secrets: [OLD, `whpk_${raw.toString('base64')}`] });
  const ts = String(NOW_SECONDS);
  const signature = ed25519Sign(null, Buffer.from(`${msgId}.${ts}.${body}`), privateKey).toString('base64');
  const headers = { 'webhook-id': msgId, 'webhook-timestamp': ts, 'webhook-signature': `v1a,${signature}` };
  t.same(mixed.verify(withHeaders(headers)), { ok: true });
  t.same(mixed.verify(withHeaders(headers, `${body} `)), { ok: false, reason: 'mismatch' });
  t.same(sw.verify(withHeaders(headers)), { ok: false, reason: 'mismatch' }, 'no public key configured');
});

t.test('dedupe key: webhook-id, or svix-id', async (t) => {
  t.equal(sw.dedupeKey?.({ headers: signed(NEW), body: {} }), msgId);
  t.equal(sw.dedupeKey?.({ headers: signed(NEW, NOW, body, 'svix'), body: {} }), msgId);
  t.equal(sw.dedupeKey?.({ headers: {}, body: {} }), undefined);
});
