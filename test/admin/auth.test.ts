import t from 'tap';
import { buildAdmin } from '../../src/admin/app.js';
import { createLogger } from '../../src/log.js';
import { adminHarness, AUTH, TOKEN } from './harness.js';

const ROUTES: Array<[method: 'GET' | 'POST' | 'DELETE', url: string]> = [
  ['GET', '/metrics'],
  ['GET', '/admin/events'],
  ['GET', '/admin/events/01JD3AAAAAAAAAAAAAAAAAAAAA'],
  ['POST', '/admin/events/01JD3AAAAAAAAAAAAAAAAAAAAA/replay'],
  ['GET', '/admin/dead-letters'],
  ['GET', '/admin/dead-letters/x~y'],
  ['POST', '/admin/dead-letters/x~y/replay'],
  ['POST', '/admin/dead-letters/replay'],
  ['DELETE', '/admin/dead-letters/x~y'],
  ['GET', '/admin/queues/'],
  ['GET', '/admin/queues/api/queues'],
  ['GET', '/admin/unknown'],
];

const UNAUTHORIZED = { error: { code: 'UNAUTHORIZED', message: 'Missing or invalid credentials.' } };

function sessionCookie(setCookie: string | string[] | undefined): string {
  const line = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  return (line ?? '').split(';')[0]!;
}

t.test('admin auth', async (t) => {
  // Two destinations, so the dashboard has a queue for each (no worker: nothing is delivered).
  const h = await adminHarness(
    t,
    {
      destinations: {
        a: { type: 'http', url: 'http://127.0.0.1:9/a' },
        b: { type: 'http', url: 'http://127.0.0.1:9/b' },
      },
    },
    'admin-auth',
  );

  await t.test('every route: 401 in the error format without the token, or with a wrong one', async (t) => {
    const wrong = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
    ];
    for (const [method, url] of ROUTES) {
      for (const headers of wrong) {
        const res = await h.app.inject({ method, url, headers });
        t.equal(res.statusCode, 401, `${method} ${url} ${headers.authorization ?? '(none)'}`);
        t.same(res.json(), UNAUTHORIZED);
      }
    }
  });

  await t.test('the token opens every route', async (t) => {
    for (const [method, url] of ROUTES) {
      const res = await h.app.inject({ method, url, headers: AUTH });
      t.not(res.statusCode, 401, `${method} ${url}`);
    }
    const unknown = await h.app.inject({ method: 'GET', url: '/admin/unknown', headers: AUTH });
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
  });

  await t.test('a browser without a session gets the login form as its 401', async (t) => {
    const res = await h.app.inject({
      method: 'GET',
      url: '/admin/queues/',
      headers: { accept: 'text/html' },
    });
    t.equal(res.statusCode, 401);
    t.match(res.headers['content-type'], /text\/html/);
    t.match(res.body, /<form method="post" action="\/admin\/login">/);
  });

  await t.test('login form post: wrong token refused, right token sets a session cookie', async (t) => {
    const form = await h.app.inject({ method: 'GET', url: '/admin/login' });
    t.equal(form.statusCode, 200);
    t.match(form.body, /name="token" type="password"/);

    const bad = await h.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=nope',
    });
    t.equal(bad.statusCode, 401);
    t.notOk(bad.headers['set-cookie']);
    t.match(bad.body, /not valid/);

    const good = await h.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(TOKEN)}`,
    });
    t.equal(good.statusCode, 303);
    t.equal(good.headers.location, '/admin/', 'to the console');
    const setCookie = String(good.headers['set-cookie']);
    t.match(
      setCookie,
      /^hookgate_admin=v1\.\d+\.[\w-]+; Path=\/admin; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    t.notMatch(setCookie, TOKEN, 'the cookie does not hold the token');
    t.notMatch(setCookie, encodeURIComponent(TOKEN));

    const cookie = sessionCookie(good.headers['set-cookie']);
    const api = await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } });
    t.equal(api.statusCode, 200);
    t.same(
      api
        .json<{ queues: Array<{ name: string }> }>()
        .queues.map((q) => q.name)
        .sort(),
      ['deliveries.a', 'deliveries.b'],
    );
    const page = await h.app.inject({ method: 'GET', url: '/admin/queues/', headers: { cookie } });
    t.equal(page.statusCode, 200);

    // The cookie is the console's and the dashboard's only: the JSON API and /metrics still want the bearer token.
    for (const url of ['/admin/events', '/admin/dead-letters', '/metrics']) {
      const res = await h.app.inject({ method: 'GET', url, headers: { cookie } });
      t.equal(res.statusCode, 401, url);
    }
  });

  await t.test('?token= once: sets the cookie and redirects the token out of the address bar', async (t) => {
    const res = await h.app.inject({ method: 'GET', url: `/admin/login?token=${encodeURIComponent(TOKEN)}` });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, '/admin/');
    t.equal(res.headers['cache-control'], 'no-store');
    const cookie = sessionCookie(res.headers['set-cookie']);
    t.equal(
      (await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } }))
        .statusCode,
      200,
    );

    const bad = await h.app.inject({ method: 'GET', url: '/admin/login?token=wrong' });
    t.equal(bad.statusCode, 401);
    t.notOk(bad.headers['set-cookie']);
  });

  await t.test('forged, tampered and cleared cookies are refused', async (t) => {
    const res = await h.app.inject({ method: 'GET', url: `/admin/login?token=${encodeURIComponent(TOKEN)}` });
    const cookie = sessionCookie(res.headers['set-cookie']);
    const [name, value] = cookie.split('=') as [string, string];
    const [v, exp, mac] = value.split('.');
    const forged = [
      `${name}=${TOKEN}`,
      `${name}=${v}.${Number(exp) + 1000}.${mac}`,
      `${name}=${v}.${exp}.${mac!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`,
      `${name}=v1.1.${mac}`,
      `other=${value}`,
    ];
    for (const c of forged) {
      const r = await h.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        headers: { cookie: c },
      });
      t.equal(r.statusCode, 401, c);
    }
    const out = await h.app.inject({ method: 'POST', url: '/admin/logout', headers: { cookie } });
    t.equal(out.statusCode, 303);
    t.match(String(out.headers['set-cookie']), /^hookgate_admin=; Path=\/admin\/queues; Max-Age=0;/);
  });

  await t.test('an expired session is refused', async (t) => {
    let now = Date.now();
    const app = await buildAdmin({
      config: h.config,
      logger: createLogger('silent'),
      metrics: h.metrics,
      deadLetters: h.store,
      events: h.events,
      queues: h.queues,
      now: () => now,
    });
    t.teardown(() => app.close());
    const res = await app.inject({ method: 'GET', url: `/admin/login?token=${encodeURIComponent(TOKEN)}` });
    const cookie = sessionCookie(res.headers['set-cookie']);
    // Sessions last 12h from sign-in: issued 13h in the past, it has run out.
    now -= 13 * 3_600_000;
    const old = await app.inject({ method: 'GET', url: `/admin/login?token=${encodeURIComponent(TOKEN)}` });
    const expired = sessionCookie(old.headers['set-cookie']);
    t.equal(
      (await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } })).statusCode,
      200,
    );
    t.equal(
      (await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie: expired } }))
        .statusCode,
      401,
    );
  });
});
