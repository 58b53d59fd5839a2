import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { compileTemplate, recordView, TemplateError } from '../../src/record/template.js';
import { createRouteTable } from '../../src/record/routes.js';
import { sampleRecord } from '../destinations/record.js';

t.test('recordView: source, headers, query, parsed body, condition', async (t) => {
  const view = recordView(sampleRecord({ query: 'a=1&a=2&b=x', condition: 'Failure' }));
  t.equal(view.source, 'stripe');
  t.equal(view.headers['content-type'], 'application/json');
  t.same(view.query, { a: '1,2', b: 'x' });
  t.match(view.body, { type: 'invoice.paid', data: { object: { customer: 'cus_42' } } });
  t.equal(view.condition, 'Failure');
});

t.test('recordView: form bodies are fields, binary bodies are absent', async (t) => {
  t.same(
    recordView(sampleRecord({ body: 'x=1&y=2', contentType: 'application/x-www-form-urlencoded' })).body,
    {
      x: '1',
      y: '2',
    },
  );
  t.equal(recordView(sampleRecord({ body: Buffer.from([0xff, 0x00]) })).body, undefined);
});

t.test('renders paths, array indexes, dashes, numbers and objects', async (t) => {
  const view = recordView(
    sampleRecord({ body: JSON.stringify({ items: [{ sku: 'A1' }], n: 3, ok: false, o: { k: 'v' } }) }),
  );
  t.equal(compileTemplate('hookgate.{{ source }}').render(view), 'hookgate.stripe');
  t.equal(compileTemplate('{{body.items.0.sku}}-{{ body.n }}-{{ body.ok }}').render(view), 'A1-3-false');
  t.equal(compileTemplate('{{ body.o }}').render(view), '{"k":"v"}');
  t.equal(compileTemplate('{{ headers.user-agent }}').render(view), 'Stripe/1.0');
  const plain = compileTemplate('webhook');
  t.equal(plain.constant, true);
  t.equal(plain.render(view), 'webhook');
});

t.test('a missing path is a clear error', async (t) => {
  const view = recordView(sampleRecord());
  t.throws(() => compileTemplate('{{ body.x }}').render(view), {
    name: 'TemplateError',
    message: 'template "{{ body.x }}": body.x is missing',
  });
  t.throws(() => compileTemplate('a.{{ body.type.deeper }}').render(view), /body\.type\.deeper is missing/);
  t.throws(() => compileTemplate('{{ body.constructor }}').render(view), /is missing/, 'no prototype reads');
  t.throws(() => compileTemplate('{{ body.toString }}').render(view), /is missing/);
});

t.test('bad templates are refused at compile time', async (t) => {
  for (const bad of ['{{ }}', '{{ body.x', 'body.x }}', '{{ a b }}', '{{ secrets.x }}', '{{ body..x }}']) {
    t.throws(() => compileTemplate(bad), TemplateError, bad);
  }
});

t.test('recordView: the event type, for filters and templates', async (t) => {
  const paid = sampleRecord({ eventType: 'invoice.paid' });
  t.equal(recordView(paid).eventType, 'invoice.paid');
  t.equal(compileTemplate('hookgate.{{ eventType }}').render(recordView(paid)), 'hookgate.invoice.paid');
  t.equal(recordView(sampleRecord()).eventType, undefined);
  t.throws(
    () => compileTemplate('{{ eventType }}').render(recordView(sampleRecord())),
    /eventType is missing/,
  );

  const table = createRouteTable(
    parseConfig(
      `
sources:
  stripe:
    routes:
      - { to: paid, filter: { eventType: invoice.paid } }
      - { to: invoices, filter: { eventType: { $regex: "^invoice[.]" } } }
      - { to: untyped, filter: { eventType: { $exists: false } } }
destinations:
  paid: { type: http, url: "http://x" }
  invoices: { type: http, url: "http://x" }
  untyped: { type: http, url: "http://x" }
`,
      { env: {} },
    ),
  );
  t.same(table.match(paid), ['paid', 'invoices']);
  t.same(table.match(sampleRecord({ eventType: 'invoice.voided' })), ['invoices']);
  t.same(table.match(sampleRecord()), ['untyped'], 'no eventType: only the $exists: false route');
});
