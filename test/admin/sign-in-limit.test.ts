import t from 'tap';
import { adminHarness, TOKEN } from './harness.js';

t.test('repeated wrong tokens block sign-in for the address until the window ends', async (t) => {
  let clock = Date.parse('2026-11-27T10:00:00Z');
  const { app } = await adminHarness(t, {}, 'signin', { now: () => clock });
  const signIn = (token: string) =>
    app.inject({ method: 'POST', url: '/admin/login', payload: { token }, remoteAddress: '203.0.113.7' });

  for (let i = 0; i < 10; i++) t.equal((await signIn('wrong')).statusCode, 401, `miss ${i + 1}`);
  const blocked = await signIn(TOKEN);
  t.equal(blocked.statusCode, 429, 'even the right token waits once the address is blocked');
  t.ok(Number(blocked.headers['retry-after']) > 0);
  t.notOk(blocked.headers['set-cookie'], 'no session while blocked');

  const other = await app.inject({
    method: 'POST',
    url: '/admin/login',
    payload: { token: TOKEN },
    remoteAddress: '198.51.100.2',
  });
  t.equal(other.statusCode, 303, 'another address is not affected');

  clock += 61_000;
  const later = await signIn(TOKEN);
  t.equal(later.statusCode, 303, 'after the window the right token signs in');
  t.match(String(later.headers['set-cookie']), /hookgate_session|=/);
});
