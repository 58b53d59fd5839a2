import { createHash, createHmac } from 'node:crypto';
import t from 'tap';
import { request, verifier } from './request.js';

/** Twilio's documented recipe (as twilio-node's getExpectedTwilioSignature), written out independently. */
function twilioSign(token: string, url: string, params: Record<string, string | string[]> = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    for (const v of [...new Set(Array.isArray(value) ? value : [value])].sort()) data += name + v;
  }
  return createHmac('sha1', token).update(data).digest('base64');
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const OLD = 'old_auth_token';
const NEW = 'new_auth_token';
const URL = 'https://hooks.example.com/hooks/twilio';
const params = { MessageSid: 'SM123', From: '+14158675309', Body: 'hello world' };
const formRequest = (sig: string, body = form(params), url = URL) =>
  request({
    body,
    url,
    headers: { 'x-twilio-signature': sig, 'content-type': 'application/x-www-form-urlencoded' },
  });

const twilio = verifier({ type: 'twilio', secrets: [NEW] });

t.test('form parameters: valid, rotation', async (t) => {
  t.same(twilio.verify(formRequest(twilioSign(NEW, URL, params))), { ok: true });
  const rotating = verifier({ type: 'twilio', secrets: [OLD, NEW] });
  t.same(rotating.verify(formRequest(twilioSign(NEW, URL, params))), { ok: true });
  t.same(twilio.verify(formRequest(twilioSign(OLD, URL, params))), { ok: false, reason: 'mismatch' });
});

t.test('a parameter added, changed or dropped is a mismatch', async (t) => {
  const sig = twilioSign(NEW, URL, params);
  t.same(twilio.verify(formRequest(sig, `${form(params)}&Extra=1`)), { ok: false, reason: 'mismatch' });
  t.same(twilio.verify(formRequest(sig, form({ ...params, Body: 'goodbye' }))), {
    ok: false,
    reason: 'mismatch',
  });
  t.same(twilio.verify(formRequest(sig, form({ MessageSid: 'SM123' }))), { ok: false, reason: 'mismatch' });
});

t.test('the query string is signed as part of the URL', async (t) => {
  const sig = twilioSign(NEW, `${URL}?tenant=a`, params);
  t.same(twilio.verify(formRequest(sig, form(params), `${URL}?tenant=a`)), { ok: true });
  t.same(twilio.verify(formRequest(sig, form(params), `${URL}?tenant=b`)), { ok: false, reason: 'mismatch' });
});

t.test('options.url replaces the URL the gateway saw; the request’s query string is kept', async (t) => {
  const internal = 'http://10.0.0.7:8080/hooks/twilio?tenant=a';
  const sig = twilioSign(NEW, `${URL}?tenant=a`, params);
  t.same(twilio.verify(formRequest(sig, form(params), internal)), { ok: false, reason: 'mismatch' });
  const configured = verifier({ type: 'twilio', secrets: [NEW], url: URL });
  t.same(configured.verify(formRequest(sig, form(params), internal)), { ok: true });
});

t.test('ports: the default port may be present or not; another port must match', async (t) => {
  t.same(twilio.verify(formRequest(twilioSign(NEW, 'https://hooks.example.com:443/hooks/twilio', params))), {
    ok: true,
  });
  t.same(
    twilio.verify(
      formRequest(twilioSign(NEW, URL, params), form(params), 'https://hooks.example.com:443/hooks/twilio'),
    ),
    {
      ok: true,
    },
  );
  t.same(twilio.verify(formRequest(twilioSign(NEW, 'https://hooks.example.com:8443/hooks/twilio', params))), {
    ok: false,
    reason: 'mismatch',
  });
});

t.test('JSON bodies: bodySHA256 in the signed URL, and the body must hash to it', async (t) => {
  const body = '{"CallSid":"CA1","status":"completed"}';
  const url = `${URL}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
  const json = (payload: string, u = url) =>
    request({
      body: payload,
      url: u,
      headers: { 'x-twilio-signature': twilioSign(NEW, url), 'content-type': 'application/json' },
    });
  t.same(twilio.verify(json(body)), { ok: true });
  t.same(twilio.verify(json(body.replace('completed', 'failed'))), { ok: false, reason: 'mismatch' });
  const forgedHash = `${URL}?bodySHA256=${createHash('sha256').update('{}').digest('hex')}`;
  t.same(twilio.verify(json('{}', forgedHash)), { ok: false, reason: 'mismatch' });
});

t.test(
  'a JSON body without bodySHA256 is read as parameters, so it cannot ride along unsigned',
  async (t) => {
    const req = request({
      body: '{"injected":true}',
      url: URL,
      headers: { 'x-twilio-signature': twilioSign(NEW, URL), 'content-type': 'application/json' },
    });
    t.same(twilio.verify(req), { ok: false, reason: 'mismatch' });
    t.same(
      twilio.verify({ ...req, rawBody: Buffer.alloc(0) }),
      { ok: true },
      'an empty body (GET-style) is fine',
    );
  },
);

t.test('malformed and missing', async (t) => {
  const hex = createHmac('sha1', NEW).update(URL).digest('hex');
  t.same(twilio.verify(formRequest(hex)), { ok: false, reason: 'malformed' });
  t.same(twilio.verify(request({ url: URL })), { ok: false, reason: 'missing' });
});

t.test('dedupe key: I-Twilio-Idempotency-Token', async (t) => {
  const headers = { 'i-twilio-idempotency-token': '0e8e1b4f-1d2b-4c7c-9f1e-6f4b9c9f1a2b' };
  t.equal(twilio.dedupeKey?.({ headers, body: params }), headers['i-twilio-idempotency-token']);
  t.equal(twilio.dedupeKey?.({ headers: {}, body: params }), undefined);
});
