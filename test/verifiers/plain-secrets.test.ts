import t from 'tap';
import { request, verifier } from './request.js';

const basicHeader = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

t.test('basic: any user:password of the list', async (t) => {
  const v = verifier({ type: 'basic', secrets: ['alice:old-pass', 'alice:new-pass'] });
  t.same(v.verify(request({ headers: { authorization: basicHeader('alice:new-pass') } })), { ok: true });
  t.same(v.verify(request({ headers: { authorization: basicHeader('alice:old-pass') } })), { ok: true });
  t.same(
    v.verify(request({ headers: { authorization: `bAsIc ${basicHeader('alice:new-pass').slice(6)}` } })),
    {
      ok: true,
    },
  );
  t.same(v.verify(request({ headers: { authorization: basicHeader('alice:wrong') } })), {
    ok: false,
    reason: 'mismatch',
  });
  t.same(v.verify(request({ headers: { authorization: basicHeader('alice:new-pas') } })), {
    ok: false,
    reason: 'mismatch',
  });
  t.same(v.verify(request({ headers: { authorization: basicHeader('alicenew-pass') } })), {
    ok: false,
    reason: 'malformed',
  });
  t.same(v.verify(request({ headers: { authorization: 'Bearer alice:new-pass' } })), {
    ok: false,
    reason: 'malformed',
  });
  t.same(v.verify(request()), { ok: false, reason: 'missing' });
});

t.test('api-key in a header (default x-api-key)', async (t) => {
  const v = verifier({ type: 'api-key', secrets: ['key-1', 'key-2'] });
  t.same(v.verify(request({ headers: { 'x-api-key': 'key-2' } })), { ok: true });
  t.same(v.verify(request({ headers: { 'x-api-key': 'key-3' } })), { ok: false, reason: 'mismatch' });
  t.same(v.verify(request({ headers: { 'x-api-key': 'key-' } })), { ok: false, reason: 'mismatch' });
  t.same(v.verify(request({ url: 'https://h/hooks/x?x-api-key=key-2' })), { ok: false, reason: 'missing' });
});

t.test('api-key in Authorization accepts a Bearer prefix', async (t) => {
  const v = verifier({ type: 'api-key', secrets: ['tok'], name: 'Authorization' });
  t.same(v.verify(request({ headers: { authorization: 'Bearer tok' } })), { ok: true });
  t.same(v.verify(request({ headers: { authorization: 'tok' } })), { ok: true });
  t.same(v.verify(request({ headers: { authorization: 'Bearer ' } })), { ok: false, reason: 'missing' });
});

t.test('api-key in the query string', async (t) => {
  const v = verifier({ type: 'api-key', secrets: ['k/1+2'], in: 'query', name: 'token' });
  t.same(v.verify(request({ url: 'https://h/hooks/x?a=1&token=k%2F1%2B2' })), { ok: true });
  t.same(v.verify(request({ url: 'https://h/hooks/x?token=k%2F1' })), { ok: false, reason: 'mismatch' });
  t.same(v.verify(request({ url: 'https://h/hooks/x', headers: { token: 'k/1+2' } })), {
    ok: false,
    reason: 'missing',
  });
});

t.test('none accepts anything and has no dedupe key', async (t) => {
  const v = verifier({ type: 'none' });
  t.same(v.verify(request({ headers: {} })), { ok: true });
  t.equal(Reflect.get(v, 'dedupeKey'), undefined);
});
