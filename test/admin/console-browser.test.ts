import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import t from 'tap';
import { deliveryId } from '../../src/queue/ids.js';
import { sampleRecord } from '../destinations/record.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { waitFor } from '../worker/harness.js';
import { adminHarness, TOKEN } from './harness.js';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';

/** CONSOLE_SCREENSHOTS=docs/images: where to save a screenshot of each page (docs/images/console-*.png). */
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

const skip = skipWithoutChromium;

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `console-${name}.png`) });
}

t.test(
  'console in a real browser: live events, replay to one destination, pause and resume',
  { skip },
  async (t) => {
    const ok = await startHttpReceiver();
    const refusing = await startHttpReceiver({ fallback: { status: 422, body: 'unprocessable' } });
    t.teardown(() => Promise.all([ok.close(), refusing.close()]));
    const h = await adminHarness(
      t,
      {
        sources: {
          stripe: { routes: [{ to: 'ok' }, { to: 'refusing' }] },
          'orders-api': {
            mode: 'proxy',
            path: '/api/orders',
            upstream: { url: `${ok.url}/orders` },
            routes: [{ to: 'ok', on: 'always' }],
          },
        },
        destinations: { ok: { type: 'http', url: ok.url }, refusing: { type: 'http', url: refusing.url } },
      },
      'admin-console-browser',
    );
    h.startWorker();
    const first = sampleRecord({ eventType: 'invoice.paid' });
    await h.publish(first);
    await waitFor(
      'the first dead letter',
      async () => (await h.store.get(deliveryId(first.id, 'refusing'))) !== undefined,
    );
    // A proxy-mode record (as the proxy writes it): the call and the upstream's answer.
    const proxied = sampleRecord({ source: 'orders-api' });
    delete proxied.requestContext.dedupeKey;
    proxied.requestContext.verified = false;
    proxied.requestContext.verifier = 'none';
    proxied.requestPayload.rawPath = '/api/orders';
    proxied.requestPayload.routeKey = 'POST /api/orders';
    proxied.requestPayload.requestContext.http.path = '/api/orders';
    proxied.responseContext = { statusCode: 201 };
    proxied.responsePayload = {
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"id":"ord_1"}',
      isBase64Encoded: false,
    };
    await h.publish(proxied);
    await ok.waitForRequests(2);
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });

    const browser: Browser = await launchChromium();
    t.teardown(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });

    await t.test('sign in from /admin/', async (t) => {
      await page.goto(`${base}/admin/`);
      await page.waitForURL(/\/admin\/login\?next=/);
      await page.getByLabel('Admin token').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/admin/`);
      for (const name of ['Events', 'Dead letters', 'Destinations', 'Sign out'])
        await page.getByRole('link', { name, exact: true }).waitFor();
      for (const label of ['Source', 'Type', 'Status', 'Since', 'Until', 'Search'])
        t.equal(await page.getByLabel(label, { exact: true }).count(), 1, `a field labelled "${label}"`);
      await page.getByRole('link', { name: first.id }).waitFor();
      t.pass('signed in; the nav, the filters and the event are there');
      await page.getByRole('columnheader', { name: 'Request → answer' }).waitFor();
      t.equal(
        await page.locator(`tr[data-id="${proxied.id}"] td.answer`).textContent(),
        'POST /api/orders → 201 Success',
        'the proxy record as a request → answer pair',
      );
      await page.getByRole('link', { name: proxied.id }).click();
      await page.getByRole('heading', { name: 'Request → answer' }).waitFor();
      await page.getByRole('heading', { name: 'Upstream answer' }).waitFor();
      await shot(page, 'event-proxy');
      await page.goBack();
      await page.waitForURL(`${base}/admin/`);
      await page.getByRole('button', { name: 'Pause live updates' }).waitFor();
    });

    let liveId = '';
    await t.test('an event sent while the page is open appears within 5 s', async (t) => {
      const live = sampleRecord({ eventType: 'customer.created' });
      liveId = live.id;
      const sentAt = Date.now();
      await h.publish(live);
      await page.getByRole('link', { name: live.id }).waitFor({ timeout: 5000 });
      t.ok(Date.now() - sentAt < 5000, `appeared after ${Date.now() - sentAt} ms, without a reload`);
      const rows = page.locator('#event-rows tr');
      t.equal(await rows.first().getAttribute('data-id'), live.id, 'on top');
      await waitFor(
        'its deliveries to finish',
        async () => (await h.store.get(deliveryId(live.id, 'refusing'))) !== undefined,
      );
      await shot(page, 'events');

      // Filters: by type, the first event only; back to all.
      await page.getByLabel('Type', { exact: true }).fill('invoice.paid');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/type=invoice.paid/);
      t.equal(await page.getByRole('link', { name: live.id }).count(), 0, 'filtered out');
      await page.getByRole('link', { name: first.id }).waitFor();
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      await page.waitForURL(`${base}/admin/`);

      // By source: only the proxy's record.
      await page.getByLabel('Source', { exact: true }).fill('orders-api');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/source=orders-api/);
      await page.getByRole('link', { name: proxied.id }).waitFor();
      t.equal(
        await page.getByRole('link', { name: first.id }).count(),
        0,
        'by source: a stripe event is not shown',
      );
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      await page.waitForURL(`${base}/admin/`);

      // By status: the proxy's record was delivered, the stripe events have a dead letter.
      await page.getByLabel('Status', { exact: true }).selectOption('delivered');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/status=delivered/);
      await page.getByRole('link', { name: proxied.id }).waitFor();
      t.equal(
        await page.getByRole('link', { name: first.id }).count(),
        0,
        'by status: a failed event is not shown',
      );
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      await page.waitForURL(`${base}/admin/`);

      // "Search" by the provider's id (the dedupe key): that one event.
      await page.getByLabel('Search', { exact: true }).fill(first.requestContext.dedupeKey!);
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/q=/);
      await page.getByRole('link', { name: first.id }).waitFor();
      t.equal(await page.locator('#event-rows tr').count(), 1, 'search by dedupe key: exactly that event');
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      await page.waitForURL(`${base}/admin/`);
    });

    await t.test('"Pause live updates" stops new rows; pressing it again brings them', async (t) => {
      const toggle = page.getByRole('button', { name: 'Pause live updates' });
      await toggle.click();
      t.equal(await toggle.getAttribute('aria-pressed'), 'true', 'pressed');
      await page.getByRole('status').filter({ hasText: 'Live updates paused' }).waitFor();
      const held = sampleRecord({ eventType: 'customer.updated' });
      await h.publish(held);
      await page.waitForTimeout(4500); // two polls' worth
      t.equal(await page.getByRole('link', { name: held.id }).count(), 0, 'not shown while paused');
      await toggle.click();
      t.equal(await toggle.getAttribute('aria-pressed'), 'false', 'released');
      await page.getByRole('link', { name: held.id }).waitFor({ timeout: 5000 });
      t.equal(await page.locator('#event-rows tr').first().getAttribute('data-id'), held.id, 'on top');
      t.equal(await page.locator('#event-rows tr.new').count(), 1, 'marked new');
      await waitFor(
        'its deliveries to finish',
        async () => (await h.store.get(deliveryId(held.id, 'refusing'))) !== undefined,
      );
      await h.store.purge([deliveryId(held.id, 'refusing')]);
    });

    await t.test('open the event, "Replay to ok": the new delivery reaches the receiver', async (t) => {
      await page.getByRole('link', { name: liveId }).click();
      await page.waitForURL(`${base}/admin/console/events/${liveId}`);
      await page.getByRole('heading', { name: 'Request' }).waitFor();
      await page.getByText('Attempts to refusing').waitFor();
      await page.getByText('Attempts to ok').waitFor();
      t.ok(await page.getByRole('button', { name: 'Replay', exact: true }).isVisible(), '"Replay"');
      t.ok(
        await page.getByRole('button', { name: 'Replay to refusing' }).isVisible(),
        '"Replay to refusing"',
      );
      await shot(page, 'event');
      const before = ok.requests.length;
      await page.getByRole('button', { name: 'Replay to ok' }).click();
      await page.getByText('Replayed: 1 new delivery.').waitFor();
      const got = await ok.waitForRequests(before + 1);
      t.equal(got[before]!.headers['webhook-id'], liveId, 'the replay arrived at the receiver');
      await page.waitForTimeout(300);
      t.equal(
        refusing.requests.filter((r) => r.headers['webhook-id'] === liveId).length,
        1,
        'and not to refusing',
      );
    });

    await t.test('dead letters: select two, "Replay selected"; purge asks first', async (t) => {
      await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
      const ids = [deliveryId(first.id, 'refusing'), deliveryId(liveId, 'refusing')];
      for (const id of ids) await page.getByRole('checkbox', { name: `Select ${id}` }).check();
      await shot(page, 'dead-letters');
      const before = refusing.requests.length;
      await page.getByRole('button', { name: 'Replay selected' }).click();
      await page.getByText('Replayed 2 dead letters.').waitFor();
      await refusing.waitForRequests(before + 2);
      t.pass('both replayed to the receiver');
      await waitFor('both dead again', async () => (await h.store.list()).items.length === 2);
      await page.reload();
      // Cancel first: nothing is purged.
      await page.getByRole('checkbox', { name: `Select ${ids[0]}` }).check();
      await page.getByRole('button', { name: 'Purge selected' }).click();
      await page.getByRole('heading', { name: 'Purge dead letters?' }).waitFor();
      await page.getByText(ids[0]!, { exact: true }).waitFor();
      t.ok(await page.getByRole('button', { name: 'Confirm purge' }).isVisible(), 'asks to confirm');
      await shot(page, 'purge-confirm');
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL(`${base}/admin/console/dead-letters`);
      await page.getByRole('checkbox', { name: `Select ${ids[0]}` }).waitFor();
      t.ok(await h.store.get(ids[0]!), 'cancel purges nothing');
      // Then confirm.
      await page.getByRole('checkbox', { name: `Select ${ids[0]}` }).check();
      await page.getByRole('button', { name: 'Purge selected' }).click();
      await page.getByRole('button', { name: 'Confirm purge' }).click();
      await page.getByText('Purged 1 dead letter.').waitFor();
      t.notOk(await h.store.get(ids[0]!), 'purged after the confirmation');
    });

    await t.test('pause a destination: deliveries wait; resume: they drain', async (t) => {
      await page.getByRole('link', { name: 'Destinations', exact: true }).click();
      const row = page.locator('tr[data-destination="ok"]');
      await row.getByRole('button', { name: 'Pause' }).click();
      await page.getByText('Destination paused.').waitFor();
      await row.getByRole('button', { name: 'Resume' }).waitFor();
      await page.waitForTimeout(300); // the worker reads the controls every 100 ms
      const before = ok.requests.length;
      const held = sampleRecord();
      await h.publish(held);
      await page.waitForTimeout(800);
      t.equal(ok.requests.length, before, 'nothing delivered while paused');
      await page.reload();
      t.match(await row.locator('td').nth(1).textContent(), /paused/);
      t.equal(await row.locator('td').nth(2).textContent(), '1', 'one delivery waiting');
      await shot(page, 'destinations');
      await row.getByRole('button', { name: 'Resume' }).click();
      await page.getByText('Destination resumed.').waitFor();
      const got = await ok.waitForRequests(before + 1);
      t.equal(got[before]!.headers['webhook-id'], held.id, 'drained on resume');
    });

    await t.test('sign out', async (t) => {
      await page.getByRole('link', { name: 'Sign out' }).click();
      await page.waitForURL(`${base}/admin/login`);
      t.same(await context.cookies(), []);
      await page.goto(`${base}/admin/`);
      await page.waitForURL(/\/admin\/login\?next=/);
      t.same(violations, [], 'no CSP violations');
      await context.close();
    });
  },
);
