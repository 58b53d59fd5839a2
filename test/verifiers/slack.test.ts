import { createHmac } from 'node:crypto';
import t from 'tap';
import { NOW_SECONDS, request, verifier } from './request.js';

// Slack publishes no JS signer (bolt-js tests use createHmac too); this is the documented recipe.
const sign = (secret: string, ts: number, body: string) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

const OLD = 'old-signing-secret';
const NEW = 'new-signing-secret';
const body = JSON.stringify({
  type: 'event_callback',
  event_id: 'Ev0PV52K21',
  event: { type: 'app_mention' },
});
const signedAt = (secret: string, ts = NOW_SECONDS, payload = body) =>
  request({
    body: payload,
    headers: { 'x-slack-signature': sign(secret, ts, payload), 'x-slack-request-timestamp': String(ts) },
  });

const slack = verifier({ type: 'slack', secrets: [NEW] });

t.test('valid, and rotation: the second secret matches', async (t) => {
  t.same(slack.verify(signedAt(NEW)), { ok: true });
  t.same(verifier({ type: 'slack', secrets: [OLD, NEW] }).verify(signedAt(NEW)), { ok: true });
  t.same(slack.verify(signedAt(OLD)), { ok: false, reason: 'mismatch' });
});

t.test('five minutes either side, as slack_sdk', async (t) => {
  t.same(slack.verify(signedAt(NEW, NOW_SECONDS - 301)), { ok: false, reason: 'expired' });
  t.same(slack.verify(signedAt(NEW, NOW_SECONDS + 301)), { ok: false, reason: 'future' });
  t.same(slack.verify(signedAt(NEW, NOW_SECONDS - 300)), { ok: true });
});

t.test('a tampered body or timestamp is a mismatch', async (t) => {
  const req = signedAt(NEW);
  t.same(slack.verify({ ...req, rawBody: Buffer.from(body.replace('Ev0', 'Ev1')) }), {
    ok: false,
    reason: 'mismatch',
  });
  const moved = { ...req.headers, 'x-slack-request-timestamp': String(NOW_SECONDS - 1) };
  t.same(slack.verify({ ...req, headers: moved }), { ok: false, reason: 'mismatch' });
});

t.test('malformed: another version, a bad timestamp, a bad digest', async (t) => {
  const req = signedAt(NEW);
  const sig = req.headers['x-slack-signature']!;
  const overrides: Record<string, string>[] = [
    { 'x-slack-signature': sig.replace('v0=', 'v1=') },
    { 'x-slack-signature': sig.slice(3) },
    { 'x-slack-signature': `${sig}00` },
    { 'x-slack-request-timestamp': 'yesterday' },
  ];
  for (const over of overrides)
    t.same(slack.verify({ ...req, headers: { ...req.headers, ...over } }), {
      ok: false,
      reason: 'malformed',
    });
});

t.test('missing either header', async (t) => {
  const req = signedAt(NEW);
  for (const name of ['x-slack-signature', 'x-slack-request-timestamp']) {
    const headers = { ...req.headers };
    delete headers[name];
    t.same(slack.verify({ ...req, headers }), { ok: false, reason: 'missing' }, name);
  }
});

t.test('dedupe key: the Events API event_id', async (t) => {
  t.equal(slack.dedupeKey?.({ headers: {}, body: JSON.parse(body) }), 'Ev0PV52K21');
  t.equal(
    slack.dedupeKey?.({ headers: {}, body: { command: '/deploy' } }),
    undefined,
    'slash commands have none',
  );
});
