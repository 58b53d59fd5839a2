import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { createRouteTable } from '../../src/record/routes.js';
import { sampleRecord } from '../destinations/record.js';

const config = parseConfig(
  `
sources:
  stripe:
    routes:
      - { to: payments, filter: { body.type: { $in: [invoice.paid, invoice.payment_failed] } } }
      - { to: analytics }
      - { to: big, filter: { body.data.object.amount: { $gte: 10000 } } }
      - { to: analytics, filter: { headers.user-agent: { $regex: "^Stripe" } } }
  api:
    routes:
      - { to: events, on: success }
      - { to: failures, on: failure }
      - { to: audit, on: always, filter: { query.tenant: acme } }
  form:
    routes:
      - { to: audit, filter: { body.kind: signup } }
destinations:
  payments: { type: http, url: "http://x" }
  analytics: { type: http, url: "http://x" }
  big: { type: http, url: "http://x" }
  events: { type: http, url: "http://x" }
  failures: { type: http, url: "http://x" }
  audit: { type: http, url: "http://x" }
`,
  { env: {} },
);
const table = createRouteTable(config);

t.test('filters over the record view; a destination named twice is delivered once', async (t) => {
  t.same(table.match(sampleRecord()), ['payments', 'analytics']);
  const refund = sampleRecord({
    body: JSON.stringify({ type: 'charge.refunded', data: { object: { amount: 50_000 } } }),
  });
  t.same(table.match(refund), ['analytics', 'big']);
});

t.test('on: success / failure / always against the condition', async (t) => {
  t.same(table.match(sampleRecord({ source: 'api', condition: 'Success' })), ['events']);
  t.same(table.match(sampleRecord({ source: 'api', condition: 'Failure' })), ['failures']);
  t.same(table.match(sampleRecord({ source: 'api', condition: 'Failure', query: 'tenant=acme' })), [
    'failures',
    'audit',
  ]);
});

t.test('form bodies are filterable; an unparseable body matches no body filter', async (t) => {
  const form = sampleRecord({
    source: 'form',
    body: 'kind=signup&email=a%40b.c',
    contentType: 'application/x-www-form-urlencoded',
  });
  t.same(table.match(form), ['audit']);
  const binary = sampleRecord({ source: 'form', body: Buffer.from([0xff, 0xfe, 0x00]) });
  t.same(table.match(binary), []);
});

t.test('a source the config no longer has is reported, not routed', async (t) => {
  t.equal(table.match(sampleRecord({ source: 'gone' })), undefined);
});
