import { createHmac } from 'node:crypto';
import t from 'tap';
import { NOW_SECONDS, request, verifier } from './request.js';

const h1 = (secret: string, ts: number, body: string) =>
  createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');

const OLD = 'pdl_ntfset_old_secret';
const NEW = 'pdl_ntfset_new_secret';
const body = JSON.stringify({ event_id: 'evt_01h8441jn5pcwrfhwh78jqt8hk', event_type: 'transaction.paid' });
const withHeader = (header: string, payload = body) =>
  request({ body: payload, headers: { 'paddle-signature': header } });
const signed = (secret: string, ts = NOW_SECONDS, payload = body) =>
  withHeader(`ts=${ts};h1=${h1(secret, ts, payload)}`, payload);

const paddle = verifier({ type: 'paddle', secrets: [NEW] });

t.test('valid, and rotation on either side', async (t) => {
  t.same(paddle.verify(signed(NEW)), { ok: true });
  t.same(verifier({ type: 'paddle', secrets: [OLD, NEW] }).verify(signed(NEW)), { ok: true });
  t.same(paddle.verify(signed(OLD)), { ok: false, reason: 'mismatch' });
  const both = `ts=${NOW_SECONDS};h1=${h1(OLD, NOW_SECONDS, body)};h1=${h1(NEW, NOW_SECONDS, body)}`;
  t.same(paddle.verify(withHeader(both)), { ok: true }, 'Paddle sends one h1 per active secret');
});

t.test('5 s by default, past side only (paddle-node-sdk)', async (t) => {
  t.same(paddle.verify(signed(NEW, NOW_SECONDS - 5)), { ok: true });
  t.same(paddle.verify(signed(NEW, NOW_SECONDS - 6)), { ok: false, reason: 'expired' });
  t.same(paddle.verify(signed(NEW, NOW_SECONDS + 60)), { ok: true });
  const relaxed = verifier({ type: 'paddle', secrets: [NEW], tolerance: '1m' });
  t.same(relaxed.verify(signed(NEW, NOW_SECONDS - 59)), { ok: true });
});

t.test('tampered body: mismatch', async (t) => {
  const req = signed(NEW);
  t.same(paddle.verify({ ...req, rawBody: Buffer.from(`${body}\n`) }), { ok: false, reason: 'mismatch' });
});

t.test('malformed and missing', async (t) => {
  const sig = h1(NEW, NOW_SECONDS, body);
  for (const header of [
    `h1=${sig}`,
    `ts=${NOW_SECONDS}`,
    `ts=now;h1=${sig}`,
    `ts=${NOW_SECONDS};h1=${sig.slice(1)}`,
  ])
    t.same(paddle.verify(withHeader(header)), { ok: false, reason: 'malformed' }, header);
  t.same(paddle.verify(request({ body })), { ok: false, reason: 'missing' });
});

t.test('dedupe key: event_id in the body', async (t) => {
  t.equal(paddle.dedupeKey?.({ headers: {}, body: JSON.parse(body) }), 'evt_01h8441jn5pcwrfhwh78jqt8hk');
  t.equal(paddle.dedupeKey?.({ headers: {}, body: { event_id: 42 } }), undefined);
});
