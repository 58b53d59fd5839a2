import t from 'tap';
import { readCookie, serializeCookie } from '../../src/admin/cookies.js';
import { bearerToken, issueSession, secretsEqual, sessionValid } from '../../src/admin/credentials.js';

t.test('secretsEqual: equal only when identical, whatever the lengths', async (t) => {
  t.ok(secretsEqual('s3cret', 's3cret'));
  t.notOk(secretsEqual('s3cret', 's3cre'));
  t.notOk(secretsEqual('s3cret', 's3cret '));
  t.notOk(secretsEqual('', 's3cret'));
  t.notOk(secretsEqual('S3cret', 's3cret'));
});

t.test('bearerToken: only the Bearer scheme', async (t) => {
  t.equal(bearerToken('Bearer abc.def'), 'abc.def');
  t.equal(bearerToken('bearer   abc '), 'abc');
  t.equal(bearerToken('Basic YWJjOmRlZg=='), undefined);
  t.equal(bearerToken('Bearer'), undefined);
  t.equal(bearerToken('Bearer '), undefined);
  t.equal(bearerToken(undefined), undefined);
});

t.test('session values: expiry and MAC keyed with the token, never the token', async (t) => {
  const token = 'the-admin-token';
  const now = 1_800_000_000_000;
  const value = issueSession(token, now + 60_000);
  t.notMatch(value, token);
  t.ok(sessionValid(token, value, now));
  t.notOk(sessionValid(token, value, now + 60_000), 'expired at its expiry');
  t.notOk(sessionValid('another-token', value, now), 'a rotated token ends the session');
  const [v, exp, mac] = value.split('.');
  t.notOk(sessionValid(token, `${v}.${Number(exp) + 3_600_000}.${mac}`, now), 'expiry cannot be extended');
  t.notOk(sessionValid(token, `${v}.${exp}.${mac!.slice(0, -2)}AA`, now), 'altered MAC');
  t.notOk(sessionValid(token, `v0.${exp}.${mac}`, now));
  t.notOk(sessionValid(token, `${value}.x`, now));
  t.notOk(sessionValid(token, '', now));
  t.notOk(sessionValid(token, undefined, now));
});

t.test('cookies: read one by name, write with HttpOnly and SameSite=Strict', async (t) => {
  t.equal(readCookie('a=1; hookgate_admin=v1.2.x; b=3', 'hookgate_admin'), 'v1.2.x');
  t.equal(readCookie('hookgate_admin="quoted"', 'hookgate_admin'), 'quoted');
  t.equal(readCookie('xhookgate_admin=1', 'hookgate_admin'), undefined);
  t.equal(readCookie('hookgate_admin=%E0%A4%A', 'hookgate_admin'), undefined, 'bad escape is no cookie');
  t.equal(readCookie(undefined, 'a'), undefined);
  t.equal(
    serializeCookie('n', 'a b', { path: '/admin/queues', maxAge: 60, secure: false }),
    'n=a%20b; Path=/admin/queues; Max-Age=60; HttpOnly; SameSite=Strict',
  );
  t.match(
    serializeCookie('n', '', { path: '/', maxAge: 0, secure: true }),
    /Max-Age=0; HttpOnly; SameSite=Strict; Secure$/,
  );
});
