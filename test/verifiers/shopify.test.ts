import { createHmac } from 'node:crypto';
import t from 'tap';
import { request, verifier } from './request.js';

const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64');
const OLD = 'shpss_old';
const NEW = 'shpss_new';
const body = '{"id":820982911946154508,"email":"jon@example.com"}';
const withSig = (sig: string, payload = body, name = 'x-shopify-hmac-sha256') =>
  request({ body: payload, headers: { [name]: sig } });

const shopify = verifier({ type: 'shopify', secrets: [NEW] });

t.test('valid, under either header name', async (t) => {
  t.same(shopify.verify(withSig(sign(NEW, body))), { ok: true });
  t.same(shopify.verify(withSig(sign(NEW, body), body, 'shopify-hmac-sha256')), { ok: true });
});

t.test('rotation: the second secret of the list matches', async (t) => {
  t.same(verifier({ type: 'shopify', secrets: [OLD, NEW] }).verify(withSig(sign(NEW, body))), { ok: true });
  t.same(shopify.verify(withSig(sign(OLD, body))), { ok: false, reason: 'mismatch' });
});

t.test('tampered body: mismatch; malformed; missing', async (t) => {
  t.same(shopify.verify(withSig(sign(NEW, body), body.replace('jon', 'bob'))), {
    ok: false,
    reason: 'mismatch',
  });
  const hex = createHmac('sha256', NEW).update(body).digest('hex');
  t.same(shopify.verify(withSig(hex)), { ok: false, reason: 'malformed' }, 'hex is not Shopify’s encoding');
  t.same(shopify.verify(withSig('not base64!')), { ok: false, reason: 'malformed' });
  t.same(shopify.verify(request({ body })), { ok: false, reason: 'missing' });
});

t.test('dedupe key: X-Shopify-Event-Id, else X-Shopify-Webhook-Id', async (t) => {
  const headers = { 'x-shopify-event-id': 'e-1', 'x-shopify-webhook-id': 'w-1' };
  t.equal(shopify.dedupeKey?.({ headers, body: {} }), 'e-1');
  t.equal(shopify.dedupeKey?.({ headers: { 'x-shopify-webhook-id': 'w-1' }, body: {} }), 'w-1');
  t.equal(shopify.dedupeKey?.({ headers: {}, body: {} }), undefined);
});
