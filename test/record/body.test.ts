import t from 'tap';
import { safeJsonParse } from '../../src/record/body.js';

// safeJsonParse skips its reviver when the text cannot hold a dangerous key; these
// cases pin that the fast path and the reviver path agree, escapes included.
t.test('safeJsonParse: __proto__ keys are dropped, spelled out or escaped', async (t) => {
  for (const text of [
    '{"a":1,"__proto__":{"polluted":true}}',
    '{"a":1,"\\u005f_proto__":{"polluted":true}}',
    '{"a":1,"__pr\\u006fto__":{"polluted":true}}',
    '{"a":1,"nested":{"__proto__":{"polluted":true}}}',
  ]) {
    const value = safeJsonParse(text) as Record<string, unknown>;
    t.equal(value.a, 1, text);
    t.notOk(Object.hasOwn(value, '__proto__'), text);
    t.notOk(JSON.stringify(value).includes('polluted'), text);
    t.equal(({} as Record<string, unknown>).polluted, undefined);
  }
});

t.test('safeJsonParse: constructor.prototype is dropped, a plain constructor field kept', async (t) => {
  t.same(safeJsonParse('{"a":1,"constructor":{"prototype":{"x":1}}}'), { a: 1 });
  t.same(safeJsonParse('{"a":1,"\\u0063onstructor":{"prototype":{"x":1}}}'), { a: 1 });
  t.same(safeJsonParse('{"constructor":"Event"}'), { constructor: 'Event' });
});

t.test('safeJsonParse: ordinary JSON parses as JSON.parse does', async (t) => {
  for (const text of [
    '{"id":"evt_1","data":{"object":{"amount":2000}}}',
    '[1,"two",null]',
    '"\\u00e9t\\u00e9"',
    '42',
  ]) {
    t.same(safeJsonParse(text), JSON.parse(text), text);
  }
  t.throws(() => safeJsonParse('{"id":'), SyntaxError);
});
