import t from 'tap';
import { formatRecord } from '../../src/record/format.js';
import { decodeForDelivery, decodeStored, encodeRouted } from '../../src/queue/stored-event.js';
import { sampleRecord } from '../destinations/record.js';

t.test('envelope: the whole record as JSON', async (t) => {
  const record = sampleRecord();
  const f = formatRecord(record, 'envelope');
  t.equal(f.contentType, 'application/json');
  t.same(JSON.parse(f.text), record);
  t.equal(f.bytes.toString('utf8'), f.text);
  t.equal(f.base64, false);
});

t.test('request: only requestPayload', async (t) => {
  const record = sampleRecord();
  t.same(JSON.parse(formatRecord(record, 'request').text), record.requestPayload);
});

t.test('body: the raw text with its content type', async (t) => {
  const raw = '{"b":1,  "a":2}\n';
  const f = formatRecord(sampleRecord({ body: raw, contentType: 'application/json; charset=utf-8' }), 'body');
  t.equal(f.text, raw, 'not re-serialized');
  t.equal(f.contentType, 'application/json; charset=utf-8');
  t.equal(f.base64, false);
});

t.test('body: binary bodies decode to their bytes; the text form is base64', async (t) => {
  const bytes = Buffer.from([0xc3, 0x28, 0x00, 0xff]);
  const f = formatRecord(sampleRecord({ body: bytes, contentType: 'application/octet-stream' }), 'body');
  t.ok(f.bytes.equals(bytes));
  t.equal(f.base64, true);
  t.equal(f.text, bytes.toString('base64'));
});

t.test('a record read for delivery: its stored JSON is sent as stored, each format made once', async (t) => {
  const stored = Buffer.from(JSON.stringify(sampleRecord()));
  const { record } = decodeForDelivery(stored);
  const envelope = formatRecord(record, 'envelope');
  t.ok(envelope.bytes.equals(stored), 'the stored bytes, not a new serialisation');
  t.equal(envelope.text, stored.toString('utf8'));
  t.equal(formatRecord(record, 'envelope'), envelope, 'made once for every destination');
  t.equal(formatRecord(record, 'request'), formatRecord(record, 'request'));
  t.same(JSON.parse(formatRecord(record, 'request').text), record.requestPayload);
  // Settling compresses the same bytes: what is read back is the record as stored.
  const settled = encodeRouted(record, { out: ['d', 1, 2] });
  t.same(decodeStored(settled).record, JSON.parse(stored.toString('utf8')));
  t.same(decodeStored(settled).marks, { out: ['d', 1, 2] });
});

t.test('a record not read for delivery is formatted afresh: a change shows', async (t) => {
  const record = sampleRecord();
  const before = formatRecord(record, 'envelope');
  record.requestContext.approximateInvokeCount = 3;
  const after = formatRecord(record, 'envelope');
  t.not(after, before);
  t.equal((JSON.parse(after.text) as typeof record).requestContext.approximateInvokeCount, 3);
});
