import { createHmac } from 'node:crypto';
import t from 'tap';
import { NOW, NOW_SECONDS, request, verifier } from './request.js';

const body = '{"event":"order.created","id":"o_1"}';
const mac = (alg: string, secret: string, data: string, enc: 'hex' | 'base64' = 'hex') =>
  createHmac(alg, secret).update(data).digest(enc);

t.test('defaults: sha256, hex, over the body', async (t) => {
  const v = verifier({ type: 'hmac', secrets: ['s3cret'], header: 'X-Signature' });
  const headers = { 'x-signature': mac('sha256', 's3cret', body) };
  t.same(v.verify(request({ body, headers })), { ok: true }, 'the header name is matched case-insensitively');
  t.same(v.verify(request({ body: `${body} `, headers })), { ok: false, reason: 'mismatch' });
  t.same(v.verify(request({ body })), { ok: false, reason: 'missing' });
  t.same(v.verify(request({ body, headers: { 'x-signature': 'zz' } })), { ok: false, reason: 'malformed' });
});

t.test('algorithm, encoding and prefix', async (t) => {
  for (const [algorithm, encoding] of [
    ['sha1', 'base64'],
    ['sha512', 'hex'],
    ['sha512', 'base64'],
  ] as const) {
    const v = verifier({
      type: 'hmac',
      secrets: ['k'],
      header: 'x-sig',
      algorithm,
      encoding,
      prefix: `${algorithm}=`,
    });
    const sig = mac(algorithm, 'k', body, encoding);
    t.same(v.verify(request({ body, headers: { 'x-sig': `${algorithm}=${sig}` } })), { ok: true }, algorithm);
    t.same(
      v.verify(request({ body, headers: { 'x-sig': sig } })),
      { ok: false, reason: 'malformed' },
      'no prefix',
    );
    const sha256 = mac('sha256', 'k', body, encoding);
    t.same(
      v.verify(request({ body, headers: { 'x-sig': `${algorithm}=${sha256}` } })),
      {
        ok: false,
        reason: 'malformed',
      },
      'a digest of another length',
    );
  }
});

t.test('rotation: second secret, and several signatures in the header', async (t) => {
  const v = verifier({ type: 'hmac', secrets: ['old', 'new'], header: 'x-sig' });
  t.same(v.verify(request({ body, headers: { 'x-sig': mac('sha256', 'new', body) } })), { ok: true });
  const two = `${mac('sha256', 'other', body)}, ${mac('sha256', 'new', body)}`;
  t.same(v.verify(request({ body, headers: { 'x-sig': two } })), { ok: true });
  t.same(
    verifier({ type: 'hmac', secrets: ['old'], header: 'x-sig' }).verify(
      request({ body, headers: { 'x-sig': two } }),
    ),
    {
      ok: false,
      reason: 'mismatch',
    },
  );
});

t.test('timestamp header and template; tolerance both sides', async (t) => {
  const v = verifier({
    type: 'hmac',
    secrets: ['k'],
    header: 'x-sig',
    timestampHeader: 'X-Timestamp',
    signedString: 'v1:{timestamp}:{body}',
    tolerance: '5m',
  });
  const at = (ts: number | string, payload = body) =>
    request({
      body: payload,
      headers: { 'x-timestamp': String(ts), 'x-sig': mac('sha256', 'k', `v1:${ts}:${payload}`) },
    });
  t.same(v.verify(at(NOW_SECONDS)), { ok: true });
  t.same(v.verify(at(NOW)), { ok: true }, 'milliseconds');
  t.same(v.verify(at(NOW_SECONDS - 301)), { ok: false, reason: 'expired' });
  t.same(v.verify(at(NOW - 301_000)), { ok: false, reason: 'expired' }, 'milliseconds, expired');
  t.same(v.verify(at(NOW_SECONDS + 301)), { ok: false, reason: 'future' });
  t.same(v.verify(at('noon')), { ok: false, reason: 'malformed' });
  const req = at(NOW_SECONDS);
  t.same(v.verify({ ...req, headers: { ...req.headers, 'x-timestamp': String(NOW_SECONDS - 1) } }), {
    ok: false,
    reason: 'mismatch',
  });
  t.same(v.verify({ ...req, headers: { 'x-sig': req.headers['x-sig']! } }), { ok: false, reason: 'missing' });
});

t.test('with a timestampHeader the default template is {timestamp}.{body}', async (t) => {
  const v = verifier({ type: 'hmac', secrets: ['k'], header: 'x-sig', timestampHeader: 'x-ts' });
  const headers = { 'x-ts': String(NOW_SECONDS), 'x-sig': mac('sha256', 'k', `${NOW_SECONDS}.${body}`) };
  t.same(v.verify(request({ body, headers })), { ok: true });
});

t.test('the body is spliced in as raw bytes, not re-decoded text', async (t) => {
  const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
  const v = verifier({ type: 'hmac', secrets: ['k'], header: 'x-sig', signedString: 'pre.{body}' });
  const sig = createHmac('sha256', 'k')
    .update(Buffer.concat([Buffer.from('pre.'), raw]))
    .digest('hex');
  t.same(v.verify(request({ body: raw, headers: { 'x-sig': sig } })), { ok: true });
});
