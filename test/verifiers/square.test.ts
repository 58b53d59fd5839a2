import { createHmac } from 'node:crypto';
import t from 'tap';
import { request, verifier } from './request.js';

const URL_AS_REGISTERED = 'https://hooks.example.com/hooks/square';
const sign = (key: string, url: string, body: string) =>
  createHmac('sha256', key)
    .update(url + body)
    .digest('base64');
const OLD = 'old_signature_key';
const NEW = 'new_signature_key';
const body =
  '{"merchant_id":"M1","type":"payment.updated","event_id":"6a8f5f28-54a1-4eb0-a98a-3111513fd4fc"}';
const withSig = (sig: string, url = URL_AS_REGISTERED, payload = body) =>
  request({ body: payload, url, headers: { 'x-square-hmacsha256-signature': sig } });

const square = verifier({ type: 'square', secrets: [NEW] });

t.test('valid over the request URL; rotation', async (t) => {
  t.same(square.verify(withSig(sign(NEW, URL_AS_REGISTERED, body))), { ok: true });
  const rotating = verifier({ type: 'square', secrets: [OLD, NEW] });
  t.same(rotating.verify(withSig(sign(NEW, URL_AS_REGISTERED, body))), { ok: true });
  t.same(square.verify(withSig(sign(OLD, URL_AS_REGISTERED, body))), { ok: false, reason: 'mismatch' });
});

t.test('behind a proxy: notificationUrl replaces the URL the gateway saw', async (t) => {
  const internal = 'http://10.0.0.7:8080/hooks/square';
  const sig = sign(NEW, URL_AS_REGISTERED, body);
  t.same(square.verify(withSig(sig, internal)), { ok: false, reason: 'mismatch' });
  const configured = verifier({ type: 'square', secrets: [NEW], notificationUrl: URL_AS_REGISTERED });
  t.same(configured.verify(withSig(sig, internal)), { ok: true });
});

t.test('tampered body: mismatch; malformed; missing', async (t) => {
  const sig = sign(NEW, URL_AS_REGISTERED, body);
  t.same(square.verify(withSig(sig, URL_AS_REGISTERED, body.replace('M1', 'M2'))), {
    ok: false,
    reason: 'mismatch',
  });
  t.same(square.verify(withSig('%%%')), { ok: false, reason: 'malformed' });
  t.same(square.verify(request({ body, url: URL_AS_REGISTERED })), { ok: false, reason: 'missing' });
});

t.test('dedupe key: event_id in the body', async (t) => {
  t.equal(
    square.dedupeKey?.({ headers: {}, body: JSON.parse(body) }),
    '6a8f5f28-54a1-4eb0-a98a-3111513fd4fc',
  );
});
