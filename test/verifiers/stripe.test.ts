import Stripe from 'stripe';
import t from 'tap';
import { NOW, NOW_SECONDS, request, verifier } from './request.js';

const OLD = 'whsec_old_secret_0123456789';
const NEW = 'whsec_new_secret_9876543210';
const body = JSON.stringify({ id: 'evt_1NxTest', object: 'event', type: 'invoice.paid' });
const sign = (secret: string, timestamp = NOW_SECONDS, payload = body) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
const withSig = (header: string, payload = body) =>
  request({ body: payload, headers: { 'stripe-signature': header } });

const stripe = verifier({ type: 'stripe', secrets: [NEW] });

t.test('a request signed by stripe-node is valid', async (t) => {
  t.same(stripe.verify(withSig(sign(NEW))), { ok: true });
});

t.test('rotation: the second secret of the list matches', async (t) => {
  const rotating = verifier({ type: 'stripe', secrets: [OLD, NEW] });
  t.same(rotating.verify(withSig(sign(NEW))), { ok: true });
  t.same(rotating.verify(withSig(sign(OLD))), { ok: true });
  t.same(stripe.verify(withSig(sign(OLD))), { ok: false, reason: 'mismatch' });
});

t.test('during Stripe’s own secret roll the header carries two v1; either may match', async (t) => {
  const good = sign(NEW).split(',')[1]!;
  const other = sign(OLD).split(',')[1]!;
  t.same(stripe.verify(withSig(`t=${NOW_SECONDS},${other},${good}`)), { ok: true });
});

t.test('older than the tolerance: expired; tolerance 0 turns the check off', async (t) => {
  t.same(stripe.verify(withSig(sign(NEW, NOW_SECONDS - 301))), { ok: false, reason: 'expired' });
  t.same(stripe.verify(withSig(sign(NEW, NOW_SECONDS - 300))), { ok: true }, 'exactly at the tolerance');
  const unbounded = verifier({ type: 'stripe', secrets: [NEW], tolerance: 0 });
  t.same(unbounded.verify(withSig(sign(NEW, NOW_SECONDS - 86_400))), { ok: true });
});

t.test('a future timestamp passes, as stripe-node only checks the past side', async (t) => {
  t.same(stripe.verify(withSig(sign(NEW, NOW_SECONDS + 3600))), { ok: true });
});

t.test('a tampered body is a mismatch', async (t) => {
  t.same(stripe.verify(withSig(sign(NEW), body.replace('invoice.paid', 'invoice.voided'))), {
    ok: false,
    reason: 'mismatch',
  });
});

t.test('a signature over the same body at another time is a mismatch (t is signed)', async (t) => {
  const v1 = sign(NEW).split(',')[1]!;
  t.same(stripe.verify(withSig(`t=${NOW_SECONDS - 1},${v1}`)), { ok: false, reason: 'mismatch' });
});

t.test('malformed headers', async (t) => {
  const v1 = sign(NEW).split(',')[1]!;
  for (const header of [
    'garbage',
    `t=abc,${v1}`,
    `t=${NOW_SECONDS}`,
    `t=${NOW_SECONDS},v1=zz`,
    `t=${NOW_SECONDS},v1=abcd`,
    // v0 is a test-mode signature and is never accepted on its own.
    `t=${NOW_SECONDS},${v1.replace('v1=', 'v0=')}`,
  ])
    t.same(stripe.verify(withSig(header)), { ok: false, reason: 'malformed' }, header);
});

t.test('no header: missing', async (t) => {
  t.same(stripe.verify(request({ body })), { ok: false, reason: 'missing' });
});

t.test('stripe-node’s own verifier agrees, case by case', async (t) => {
  const cases: [string, string, string][] = [
    ['fresh', sign(NEW), body],
    ['at the tolerance', sign(NEW, NOW_SECONDS - 300), body],
    ['past the tolerance', sign(NEW, NOW_SECONDS - 301), body],
    ['other secret', sign(OLD), body],
    ['tampered', sign(NEW), `${body} `],
  ];
  for (const [label, header, payload] of cases) {
    let sdkValid = true;
    try {
      Stripe.webhooks.signature!.verifyHeader(payload, header, NEW, 300, undefined, NOW);
    } catch {
      sdkValid = false;
    }
    t.equal(stripe.verify(withSig(header, payload)).ok, sdkValid, label);
  }
});

t.test('dedupe key: the event id in the body', async (t) => {
  t.equal(stripe.dedupeKey?.({ headers: {}, body: JSON.parse(body) }), 'evt_1NxTest');
  t.equal(stripe.dedupeKey?.({ headers: {}, body: { object: 'event' } }), undefined);
  t.equal(stripe.dedupeKey?.({ headers: {}, body: undefined }), undefined);
});
