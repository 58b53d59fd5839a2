import t from 'tap';
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Deflater } from '../../src/queue/deflater.js';

const DICT = Buffer.from('{"version":"1.0","id":"","requestContext":{"requestId":"","condition":"Success"}}');

/** A record-like JSON text of about `size` bytes. */
function text(size: number, seed: number): Buffer {
  let s = `{"version":"1.0","id":"${seed}","body":"`;
  for (let i = 0; s.length < size; i++)
    s += `{\\"line\\":${(i * 7919 + seed) % 10007},\\"w\\":\\"${(i * seed).toString(36)}\\"},`;
  return Buffer.from(`${s}"}`);
}

t.test('the kept engine is in use on this Node, and writes what deflateRawSync writes', (t) => {
  const d = new Deflater(DICT);
  // Falls back silently by design; on the Node the image ships it must not have.
  t.ok(d.reusing, `reusing the engine on Node ${process.version}`);
  const inputs = [
    Buffer.alloc(0),
    Buffer.from('x'),
    ...Array.from({ length: 40 }, (_, i) => text(200 + i * 150, i + 1)),
    text(70_000, 3), // past the 64 KB scratch buffer
    randomBytes(100_000), // incompressible: stored blocks, output larger than input
    text(1500, 9),
  ];
  const wrong: string[] = [];
  for (const input of inputs) {
    const got = d.deflate(input);
    if (!got.equals(deflateRawSync(input, { dictionary: DICT })))
      wrong.push(`${input.length} B: other bytes`);
    else if (!inflateRawSync(got, { dictionary: DICT }).equals(input))
      wrong.push(`${input.length} B: no round trip`);
  }
  t.same(wrong, [], `${inputs.length} inputs, byte for byte as deflateRawSync`);
  t.ok(d.reusing, 'still reusing after every input');
  const kept = (d as unknown as { out: Buffer }).out.length;
  t.equal(kept, 64 * 1024, 'the large inputs did not grow the kept buffer');
  t.end();
});

t.test('an output is its own copy: the next call does not overwrite it', (t) => {
  const d = new Deflater(DICT);
  const a = text(3000, 1);
  const first = d.deflate(a);
  const copy = Buffer.from(first);
  d.deflate(text(3000, 2));
  t.ok(first.equals(copy));
  t.ok(inflateRawSync(first, { dictionary: DICT }).equals(a));
  t.end();
});

t.test('a kept engine that breaks falls back to deflateRawSync for good, output still right', (t) => {
  const d = new Deflater(DICT);
  t.ok(d.reusing);
  // What a zlib error does to the engine: the stream is destroyed and closes its handle
  // (which, written again, would abort the process).
  (d as unknown as { engine: { destroy(): void } }).engine.destroy();
  const input = text(2500, 4);
  const out = d.deflate(input);
  t.ok(out.equals(deflateRawSync(input, { dictionary: DICT })), 'the same bytes');
  t.notOk(d.reusing, 'no longer reusing');
  t.ok(d.deflate(text(900, 5)).equals(deflateRawSync(text(900, 5), { dictionary: DICT })));
  t.end();
});
