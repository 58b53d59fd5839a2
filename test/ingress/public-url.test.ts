import t from 'tap';
import { createHmac } from 'node:crypto';
import { ingress } from './harness.js';
import { send } from './http-client.js';

const TOKEN = 'twilio-auth-token';
const params = { CallSid: 'CA123', From: '+15550001111', To: '+15550002222' };
const form = new URLSearchParams(params).toString();

/** Twilio's scheme: HMAC-SHA1 over the URL it called + sorted name/value pairs. */
function twilioSignature(url: string): string {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k as keyof typeof params])
      .join('');
  return createHmac('sha1', TOKEN).update(data).digest('base64');
}

async function listening(t: Parameters<typeof ingress>[0], server: Record<string, unknown>) {
  const h = await ingress(t, {
    server,
    sources: { twilio: { verify: { type: 'twilio', secrets: [TOKEN] } } },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const address = h.app.server.address();
  return { ...h, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

const formHeaders = (signature: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/x-www-form-urlencoded',
  'x-twilio-signature': signature,
  ...extra,
});

t.test('URL-signing verifiers see server.publicUrl + path + query', async (t) => {
  const h = await listening(t, { publicUrl: 'https://hooks.example.com/' });
  const ok = await send(`${h.base}/hooks/twilio?tenant=7`, {
    headers: formHeaders(twilioSignature('https://hooks.example.com/hooks/twilio?tenant=7')),
    body: form,
  });
  t.equal(ok.status, 204);
  const local = await send(`${h.base}/hooks/twilio?tenant=7`, {
    headers: formHeaders(twilioSignature(`${h.base}/hooks/twilio?tenant=7`)),
    body: form,
  });
  t.equal(local.status, 401, 'the listening address is not what the provider signed');
});

t.test('without publicUrl the URL is rebuilt from the request, honouring trustProxy', async (t) => {
  const direct = await listening(t, {});
  const a = await send(`${direct.base}/hooks/twilio`, {
    headers: formHeaders(twilioSignature(`${direct.base}/hooks/twilio`)),
    body: form,
  });
  t.equal(a.status, 204);

  const proxied = await listening(t, { trustProxy: true });
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example.org' };
  const b = await send(`${proxied.base}/hooks/twilio`, {
    headers: formHeaders(twilioSignature('https://edge.example.org/hooks/twilio'), forwarded),
    body: form,
  });
  t.equal(b.status, 204);
  const spoofed = await send(`${direct.base}/hooks/twilio`, {
    headers: formHeaders(twilioSignature('https://edge.example.org/hooks/twilio'), forwarded),
    body: form,
  });
  t.equal(spoofed.status, 401, 'forwarded headers are ignored unless trustProxy');
});
