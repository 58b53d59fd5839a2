import t from 'tap';
import { formatRecord } from '../../src/record/format.js';
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
