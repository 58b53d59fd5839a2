import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { deliveryId } from '../../src/queue/ids.js';
import { destinationControls } from '../../src/queue/controls.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness, TOKEN } from './harness.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function cookieOf(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  return String(Array.isArray(set) ? set[0] : set).split(';')[0]!;
}

/** The hidden CSRF field of a rendered page. */
function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no csrf field on the page');
  return m[1]!;
}

const form = (fields: Array<[string, string]>) => new URLSearchParams(fields).toString();

t.test('console pages and actions over real Redis and a real worker', async (t) => {
  const ok = await startHttpReceiver();
  const refusing = await startHttpReceiver({ fallback: { status: 422, body: 'unprocessable' } });
  t.teardown(() => Promise.all([ok.close(), refusing.close()]));
  const h = await adminHarness(
    t,
    {
      sources: { stripe: { routes: [{ to: 'ok' }, { to: 'refusing' }] }, github: { routes: [{ to: 'ok' }] } },
      destinations: { ok: { type: 'http', url: ok.url }, refusing: { type: 'http', url: refusing.url } },
    },
    'admin-console',
  );
  h.startWorker();
  const json = sampleRecord({ eventType: 'invoice.paid' });
  const binary = sampleRecord({
    source: 'github',
    body: Buffer.from([0xff, 0xfe, 0x00, 0x01]),
    contentType: 'application/octet-stream',
  });
  await h.publish(json);
  await h.publish(binary);
  const failedId = deliveryId(json.id, 'refusing');
  await waitFor('the dead letter', async () => (await h.store.get(failedId)) !== undefined);
  await ok.waitForRequests(2);

  const get = (url: string, cookie?: string) =>
    h.app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  const post = (url: string, cookie: string | undefined, fields: Array<[string, string]>, extra = {}) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { ...FORM, ...(cookie ? { cookie } : {}), ...extra },
      payload: form(fields),
    });

  await t.test('without a session: pages redirect to the login form, live answers 401', async (t) => {
    const root = await get('/admin/');
    t.equal(root.statusCode, 303);
    t.equal(root.headers.location, '/admin/login?next=%2Fadmin%2F');
    const deep = await get('/admin/console/destinations');
    t.equal(deep.headers.location, '/admin/login?next=%2Fadmin%2Fconsole%2Fdestinations');
    t.equal((await get('/admin')).headers.location, '/admin/');
    t.equal((await get('/admin/console/live')).statusCode, 401);
    const login = await get('/admin/login?next=%2Fadmin%2F');
    t.match(login.body, /<label for="token">Admin token<\/label>/);
    t.match(login.body, /<button type="submit">Sign in<\/button>/);
    t.match(login.body, /name="next" value="\/admin\/"/);
    t.notMatch((await get('/admin/login?next=https%3A%2F%2Fevil.example%2F')).body, /name="next"/);
  });

  const signIn = await post('/admin/login', undefined, [
    ['token', TOKEN],
    ['next', '/admin/'],
  ]);
  t.equal(signIn.statusCode, 303, 'sign-in from the console');
  t.equal(signIn.headers.location, '/admin/');
  t.match(String(signIn.headers['set-cookie']), /Path=\/admin; Max-Age=43200; HttpOnly; SameSite=Strict$/);
  const cookie = cookieOf(signIn);

  await t.test('an open redirect is not: next must be a console path', async (t) => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/admin/queues/', '/admin/../x']) {
      const res = await post('/admin/login', undefined, [
        ['token', TOKEN],
        ['next', next],
      ]);
      t.equal(res.headers.location, '/admin/', next);
    }
  });

  await t.test('the Events page: nav, filters, rows newest first, strict CSP', async (t) => {
    const res = await get('/admin/', cookie);
    t.equal(res.statusCode, 200);
    t.match(
      res.headers['content-security-policy'],
      /default-src 'none'; script-src 'self'; style-src 'self'/,
    );
    t.notMatch(res.body, /<script>|<style>| style=| on[a-z]+=/, 'no inline script or style');
    for (const link of ['Events', 'Dead letters', 'Destinations', 'Sign out'])
      t.match(res.body, `>${link}</a>`);
    for (const label of ['Source', 'Type', 'Status', 'Since', 'Until', 'Search'])
      t.match(res.body, new RegExp(`<label for="f-\\w+">${label}</label><(input|select) id="f-`), label);
    const binaryAt = res.body.indexOf(`data-id="${binary.id}"`);
    const jsonAt = res.body.indexOf(`data-id="${json.id}"`);
    t.ok(binaryAt > 0 && jsonAt > binaryAt, 'newest first');
    t.match(res.body, `<a href="/admin/console/events/${json.id}">${json.id}</a>`);
    t.match(res.body, /<td>invoice\.paid<\/td><td class="status status-failed">failed<\/td>/);

    const bySource = await get('/admin/?source=github', cookie);
    t.match(bySource.body, binary.id);
    t.notMatch(bySource.body, `data-id="${json.id}"`);
    const byStatus = await get('/admin/?status=failed', cookie);
    t.match(byStatus.body, `data-id="${json.id}"`);
    t.notMatch(byStatus.body, `data-id="${binary.id}"`);
    const byType = await get('/admin/?type=invoice.paid', cookie);
    t.match(byType.body, `data-id="${json.id}"`);
    t.notMatch(byType.body, `data-id="${binary.id}"`);
    const bySearch = await get(`/admin/?q=${encodeURIComponent(json.requestContext.dedupeKey!)}`, cookie);
    t.match(bySearch.body, `data-id="${json.id}"`);
    t.notMatch(bySearch.body, `data-id="${binary.id}"`);
    const future = await get(`/admin/?since=${Date.now() + 60_000}`, cookie);
    t.match(future.body, 'No events.');
    const bad = await get('/admin/?since=yesterday-ish', cookie);
    t.equal(bad.statusCode, 400);
    t.match(bad.body, /role="alert">since /);
  });

  await t.test('live: the JSON the page polls, with the same filters', async (t) => {
    const all = await h.app.inject({ method: 'GET', url: '/admin/console/live', headers: { cookie } });
    t.equal(all.statusCode, 200);
    const items = all.json<{ items: { id: string; status: string }[] }>().items;
    t.same(
      items.map((i) => i.id),
      [binary.id, json.id],
    );
    const filtered = await h.app.inject({
      method: 'GET',
      url: '/admin/console/live?source=stripe',
      headers: { cookie },
    });
    t.same(
      filtered.json<{ items: { id: string }[] }>().items.map((i) => i.id),
      [json.id],
    );
    // Only what is newer than the newest row shown: `newer` (its ms) and `seen` (its id).
    const shown = all.json<{ items: { id: string; receivedAt: string }[] }>().items;
    const newest = Date.parse(shown[0]!.receivedAt);
    // As the page does: every row received in that very millisecond (both events may be).
    const seen = shown
      .filter((i) => Date.parse(i.receivedAt) === newest)
      .map((i) => i.id)
      .join(',');
    const none = await h.app.inject({
      method: 'GET',
      url: `/admin/console/live?newer=${newest}&seen=${seen}`,
      headers: { cookie },
    });
    t.same(none.json(), { items: [], more: 0, capped: false }, 'nothing newer');
    const later = sampleRecord({ source: 'github', eventType: 'push' });
    await h.publish(later);
    const one = await h.app.inject({
      method: 'GET',
      url: `/admin/console/live?newer=${newest}&seen=${seen}`,
      headers: { cookie },
    });
    t.same(
      one.json<{ items: { id: string }[] }>().items.map((i) => i.id),
      [later.id],
      'the new event alone',
    );
    const badNewer = await h.app.inject({
      method: 'GET',
      url: '/admin/console/live?newer=soon',
      headers: { cookie },
    });
    t.equal(badNewer.statusCode, 400);
    const page = await get('/admin/', cookie);
    t.match(page.body, 'data-max-rows="200"', 'the table keeps at most 200 rows');
    t.match(
      page.body,
      '<button type="button" id="live-toggle" aria-pressed="false" aria-controls="event-rows">Pause live updates</button>',
    );
    t.match(page.body, /<p id="live-more" hidden><a href="\/admin\/">0 more events \(not shown\)<\/a><\/p>/);
    t.notMatch(page.body, 'Request → answer', 'no proxy source: no answer column');
    t.notMatch(
      (await h.app.inject({ method: 'GET', url: '/admin/console/app.css' })).body,
      /animation:|@keyframes/,
    );
    const js = await h.app.inject({ method: 'GET', url: '/admin/console/app.js' });
    t.equal(js.statusCode, 200);
    t.match(js.headers['content-type'], /javascript/);
    t.match(js.body, 'data-live');
  });

  await t.test(
    'the Event page: request, answer, deliveries and their attempts, replay buttons',
    async (t) => {
      const res = await get(`/admin/console/events/${json.id}`, cookie);
      t.equal(res.statusCode, 200);
      t.match(res.body, /<strong>POST<\/strong> <code>\/hooks\/stripe<\/code>/);
      t.match(res.body, /Request body \(JSON, \d+ bytes\)/);
      t.match(res.body, /&#34;type&#34;: &#34;invoice\.paid&#34;/, 'pretty-printed JSON');
      t.match(res.body, /<th scope="row">content-type<\/th><td>application\/json<\/td>/);
      t.match(res.body, /Status <strong>204<\/strong>, condition <strong>Success<\/strong>/);
      t.match(res.body, /Attempts to refusing/);
      t.match(res.body, /Attempts to ok/);
      t.match(res.body, /answered 422: unprocessable/);
      t.match(res.body, /class="outcome-dead_letter">dead_letter/);
      t.match(res.body, /<button type="submit">Replay<\/button>/);
      t.match(res.body, /<button type="submit">Replay to ok<\/button>/);
      t.match(res.body, /<button type="submit">Replay to refusing<\/button>/);

      const bin = await get(`/admin/console/events/${binary.id}`, cookie);
      t.match(bin.body, /Request body \(base64, 4 bytes\)/);
      t.match(bin.body, Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'));
      t.equal((await get('/admin/console/events/01JD3AAAAAAAAAAAAAAAAAAAAA', cookie)).statusCode, 404);
    },
  );

  await t.test('every action: 403 without a session, a CSRF token, or from another origin', async (t) => {
    const page = await get(`/admin/console/events/${json.id}`, cookie);
    const csrf = csrfOf(page.body);
    const actions = [
      `/admin/console/events/${json.id}/replay`,
      '/admin/console/dead-letters/replay',
      '/admin/console/dead-letters/purge',
      '/admin/console/destinations/ok/pause',
      '/admin/console/destinations/ok/resume',
    ];
    const before = ok.requests.length;
    for (const url of actions) {
      const fields: Array<[string, string]> = [
        ['ids', failedId],
        ['confirm', 'yes'],
      ];
      t.equal(
        (await post(url, undefined, [['csrf', csrf], ...fields])).statusCode,
        403,
        `${url}: no session`,
      );
      t.equal((await post(url, cookie, fields)).statusCode, 403, `${url}: no token`);
      t.equal(
        (await post(url, cookie, [['csrf', `${csrf}x`], ...fields])).statusCode,
        403,
        `${url}: wrong token`,
      );
      const cross = await post(url, cookie, [['csrf', csrf], ...fields], { origin: 'https://evil.example' });
      t.equal(cross.statusCode, 403, `${url}: another origin`);
      const site = await post(url, cookie, [['csrf', csrf], ...fields], { 'sec-fetch-site': 'cross-site' });
      t.equal(site.statusCode, 403, `${url}: cross-site`);
    }
    // A token of another session (signed in later) is not this one's.
    const other = cookieOf(
      await post('/admin/login', undefined, [
        ['token', TOKEN],
        ['next', '/admin/'],
      ]),
    );
    if (other !== cookie)
      t.equal((await post(actions[3]!, other, [['csrf', csrf]])).statusCode, 403, "another session's token");
    t.ok(await h.store.get(failedId), 'the dead letter is still there');
    t.notOk(await h.queues.queue('ok').isPaused(), 'not paused');
    t.equal(ok.requests.length, before, 'nothing replayed');
  });

  await t.test('Replay to one destination: a new delivery arrives at the receiver', async (t) => {
    const page = await get(`/admin/console/events/${json.id}`, cookie);
    const before = ok.requests.length;
    const res = await post(`/admin/console/events/${json.id}/replay`, cookie, [
      ['csrf', csrfOf(page.body)],
      ['destination', 'ok'],
    ]);
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, `/admin/console/events/${json.id}?done=replayed&n=1`);
    const [, again] = await ok.waitForRequests(before + 1);
    t.ok(again ?? ok.requests[before], 'delivered again');
    t.equal(ok.requests[before]!.headers['webhook-id'], json.id);
    const after = await get(res.headers.location as string, cookie);
    t.match(after.body, 'Replayed: 1 new delivery.');
    const unknown = await post(`/admin/console/events/${json.id}/replay`, cookie, [
      ['csrf', csrfOf(page.body)],
      ['destination', 'nope'],
    ]);
    t.equal(unknown.statusCode, 400);
  });

  await t.test('Dead letters: list, purge asks first, replay selected', async (t) => {
    const res = await get('/admin/console/dead-letters', cookie);
    t.equal(res.statusCode, 200);
    t.match(res.body, `aria-label="Select ${failedId}"`);
    t.match(res.body, /<button type="submit">Replay selected<\/button>/);
    t.match(res.body, /formaction="\/admin\/console\/dead-letters\/purge">Purge selected<\/button>/);
    for (const label of ['Destination', 'Source', 'Since']) t.match(res.body, `">${label}</label>`);
    t.match((await get('/admin/console/dead-letters?destination=ok', cookie)).body, 'No dead letters.');
    t.equal((await get('/admin/console/dead-letters?destination=nope', cookie)).statusCode, 400);
    const csrf = csrfOf(res.body);

    const ask = await post('/admin/console/dead-letters/purge', cookie, [
      ['csrf', csrf],
      ['ids', failedId],
    ]);
    t.equal(ask.statusCode, 200, 'purge without confirm: the confirmation page');
    t.match(ask.body, /<button type="submit">Confirm purge<\/button>/);
    t.ok(await h.store.get(failedId), 'not purged yet');

    const none = await post('/admin/console/dead-letters/replay', cookie, [['csrf', csrf]]);
    t.equal(none.headers.location, '/admin/console/dead-letters?done=none-selected&n=0');

    const before = refusing.requests.length;
    const replay = await post('/admin/console/dead-letters/replay', cookie, [
      ['csrf', csrf],
      ['ids', failedId],
    ]);
    t.equal(replay.statusCode, 303);
    t.equal(replay.headers.location, '/admin/console/dead-letters?done=dl-replayed&n=1');
    await refusing.waitForRequests(before + 1);
    t.pass('the replayed dead letter was delivered again (and refused again)');
    await waitFor('dead-lettered again', async () => (await h.store.get(failedId)) !== undefined);
    // It answers 422 again: dead again; now purge it, confirmed.
    await waitFor('dead-lettered again', async () =>
      (await h.store.list()).items.some((d) => d.id === failedId),
    );
    const purge = await post('/admin/console/dead-letters/purge', cookie, [
      ['csrf', csrf],
      ['ids', failedId],
      ['confirm', 'yes'],
    ]);
    t.equal(purge.headers.location, '/admin/console/dead-letters?done=purged&n=1');
    t.notOk(await h.store.get(failedId), 'purged');
    t.match((await get(purge.headers.location as string, cookie)).body, 'Purged 1 dead letter.');
  });

  await t.test('Destinations: the list view, Pause and Resume', async (t) => {
    const res = await get('/admin/console/destinations', cookie);
    t.equal(res.statusCode, 200);
    t.match(
      res.body,
      /<tr data-destination="ok"><th scope="row" id="dest-0">ok<\/th><td>http<\/td><td class="state state-active">active/,
    );
    t.match(res.body, /Delivered \(5 min\)/);
    t.match(
      res.body,
      /<th scope="col">Last error<\/th>/,
      'the last error column (the worker reports it; the harness samples no reports)',
    );
    const csrf = csrfOf(res.body);
    const pause = await post('/admin/console/destinations/ok/pause', cookie, [['csrf', csrf]]);
    t.equal(pause.statusCode, 303);
    t.ok((await destinationControls(h.queues).paused()).has('ok'), 'paused');
    const paused = await get(pause.headers.location as string, cookie);
    t.match(paused.body, 'Destination paused.');
    t.match(paused.body, /state-paused">paused since/);
    t.match(paused.body, /destinations\/ok\/resume"[^]*?>Resume<\/button>/);
    const resume = await post('/admin/console/destinations/ok/resume', cookie, [['csrf', csrf]]);
    t.equal(resume.statusCode, 303);
    t.notOk((await destinationControls(h.queues).paused()).has('ok'), 'resumed');
    t.equal((await post('/admin/console/destinations/nope/pause', cookie, [['csrf', csrf]])).statusCode, 404);
  });

  await t.test('sign out ends both cookie paths', async (t) => {
    const out = await h.app.inject({ method: 'GET', url: '/admin/logout', headers: { cookie } });
    const set = out.headers['set-cookie'] as string[];
    t.match(set[0], /Path=\/admin\/queues; Max-Age=0/);
    t.match(set[1], /Path=\/admin; Max-Age=0/);
  });
});

t.test('live: a poll that finds more than 200 sends the newest 200 and counts the rest', async (t) => {
  const h = await adminHarness(
    t,
    {
      sources: { stripe: { routes: [{ to: 'ok' }] } },
      destinations: { ok: { type: 'http', url: 'http://127.0.0.1:9/' } },
    },
    'admin-console-live',
  );
  const records = Array.from({ length: 230 }, () => sampleRecord({ eventType: 'invoice.paid' }));
  for (const r of records) await h.publish(r);
  const signIn = await h.app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: FORM,
    payload: form([
      ['token', TOKEN],
      ['next', '/admin/'],
    ]),
  });
  const cookie = cookieOf(signIn);
  const res = await h.app.inject({ method: 'GET', url: '/admin/console/live?newer=0', headers: { cookie } });
  const body = res.json<{ items: { id: string }[]; more: number; capped: boolean }>();
  t.equal(body.items.length, 200);
  t.equal(body.items[0]!.id, records[229]!.id, 'the newest first');
  t.equal(body.more, 30, 'the rest counted');
  t.equal(body.capped, false);
});
