import { type Browser, type Page, type Request } from 'playwright-core';
import t from 'tap';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness, TOKEN } from './harness.js';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';

/** A queue in the sidebar (the overview lists each queue a second time once its counts load). */
const queueLink = (page: Page, name: string) =>
  page.locator('#bull-board-sidebar').getByRole('link', { name, exact: true });

const skip = skipWithoutChromium;

t.test('dashboard in a real browser: sign in, see the queues and a failed delivery', { skip }, async (t) => {
  const refusing = await startHttpReceiver({ fallback: { status: 422, body: 'unprocessable' } });
  const ok = await startHttpReceiver();
  t.teardown(() => Promise.all([refusing.close(), ok.close()]));
  const h = await adminHarness(
    t,
    {
      sources: { stripe: { routes: [{ to: 'refusing' }, { to: 'ok' }] } },
      destinations: { refusing: { type: 'http', url: refusing.url }, ok: { type: 'http', url: ok.url } },
    },
    'admin-browser',
  );
  // A delivery that fails for real: the worker posts, the receiver answers 422, dead letter.
  h.startWorker();
  const record = sampleRecord();
  await h.publish(record);
  const failedId = deliveryId(record.id, 'refusing');
  await waitFor('the failed delivery', async () => (await h.store.get(failedId)) !== undefined);
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });

  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());

  await t.test('login form, a wrong token, the right one', async (t) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));

    const first = await page.goto(`${base}/admin/queues/`);
    t.equal(first?.status(), 401, 'no session: 401, shown as the login form');
    await page.locator('#token').waitFor();

    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    await page.getByText('That token is not valid.').waitFor();
    t.same(await context.cookies(), [], 'no cookie for a wrong token');

    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    // A sign-in lands on the console; the queue dashboard is one link away.
    await page.waitForURL(`${base}/admin/`);
    await page.goto(`${base}/admin/queues/`);
    await queueLink(page, 'deliveries.refusing').waitFor();
    await queueLink(page, 'deliveries.ok').waitFor();
    t.pass("each destination's queue listed");

    const cookies = await context.cookies();
    t.equal(cookies.length, 1);
    t.match(cookies[0], {
      name: 'hookgate_admin',
      path: '/admin',
      httpOnly: true,
      sameSite: 'Strict',
    });
    t.notMatch(cookies[0]!.value, TOKEN, 'the cookie is not the token');
    t.equal(await page.evaluate(() => document.cookie), '', 'HttpOnly: scripts cannot read it');

    await page.goto(`${base}/admin/queues/queue/deliveries.refusing?status=failed`);
    await page.getByText(failedId).first().waitFor();
    await page
      .getByText(/answered 422: unprocessable/)
      .first()
      .waitFor();
    t.pass('the failed delivery and its error are shown');
    // Read-only by default: bull-board's bulk retry and clean would bypass the attempt
    // history or wipe the dead-letter store (admin.dashboard.readOnly: false shows them).
    for (const name of ['Retry all', 'Clean all'])
      t.equal(await page.getByRole('button', { name }).count(), 0, `no "${name}" button`);

    // After sign-in the token travelled once, in the form post body; never in a URL or header.
    const afterLogin = requests.filter((r) => !(r.method() === 'POST' && r.url().endsWith('/admin/login')));
    t.ok(afterLogin.length > 5, 'the dashboard made its own requests');
    for (const r of afterLogin) {
      t.notMatch(r.url(), TOKEN);
      t.notOk((await r.allHeaders()).authorization);
    }
    await context.close();
  });

  await t.test('?token= once: the cookie is set and the token leaves the address bar', async (t) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/admin/login?token=${encodeURIComponent(TOKEN)}`);
    await page.waitForURL(`${base}/admin/`);
    t.notMatch(page.url(), TOKEN);
    await page.goto(`${base}/admin/queues/`);
    await queueLink(page, 'deliveries.ok').waitFor();
    await queueLink(page, 'deliveries.ok').click();
    await page.waitForURL(/\/admin\/queues\/queue\/deliveries\.ok/);
    t.pass('navigates the dashboard on the cookie alone');

    // Sign out: the cookie goes, the dashboard is closed again.
    await page.goto(`${base}/admin/logout`);
    await page.waitForURL(`${base}/admin/login`);
    t.same(await context.cookies(), []);
    const again = await page.goto(`${base}/admin/queues/`);
    t.equal(again?.status(), 401);
    await context.close();
  });
});
