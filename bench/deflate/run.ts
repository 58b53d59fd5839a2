/**
 * The worker's deflate at settling, in one process: Node's `deflateRawSync` (an engine
 * built per call) against the kept engine the worker uses (src/queue/deflater.ts), on
 * the records `hookgate serve` stores for the pipeline bench's Stripe events (200 body
 * shapes of 1–3 KB, built with the ingress's own buildEnvelope and the headers the
 * pipeline's load sends), with the stored format's dictionary. Also zstd at level 3
 * with the same dictionary, the one cheaper codec, for its size. Rounds alternate; per
 * codec the fastest round (the least disturbed on a shared machine) and the median.
 *
 *   npm run bench -- deflate      BENCH_DEFLATE_ROUNDS=6 BENCH_DEFLATE_RECORDS=20000
 */
import { constants, deflateRawSync, inflateRawSync, zstdCompressSync } from 'node:zlib';
import { Deflater } from '../../src/queue/deflater.js';
import { DICTIONARY } from '../../src/queue/stored-event.js';
import { buildEnvelope } from '../../src/record/build.js';
import { newEventId } from '../../src/record/id.js';
import { EventSource, SHAPES } from '../pipeline/events.js';

const ROUNDS = Number(process.env.BENCH_DEFLATE_ROUNDS ?? 6);
const PER_ROUND = Number(process.env.BENCH_DEFLATE_RECORDS ?? 20_000);

const source = new EventSource('whsec_deflate_bench');
const records = Array.from({ length: SHAPES }, () => {
  const e = source.next();
  const receivedAt = Date.now();
  const rawHeaders = [
    'host',
    '127.0.0.1:8080',
    'content-type',
    'application/json',
    'stripe-signature',
    e.signature,
    'content-length',
    String(Buffer.byteLength(e.body)),
  ];
  const id = newEventId(receivedAt);
  const envelope = buildEnvelope(
    {
      id,
      receivedAt,
      source: 'stripe',
      method: 'POST',
      routePath: '/hooks/stripe',
      path: '/hooks/stripe',
      rawQueryString: '',
      rawHeaders,
      body: Buffer.from(e.body),
      sourceIp: '127.0.0.1',
      protocol: 'HTTP/1.1',
      domainName: '127.0.0.1:8080',
      verified: true,
      verifier: 'stripe',
      dedupeKey: e.id,
      eventType: (JSON.parse(e.body) as { type: string }).type,
    },
    { condition: 'Success', response: { statusCode: 204, headers: {}, body: null, isBase64Encoded: false } },
  );
  return Buffer.from(JSON.stringify(envelope));
});

const kept = new Deflater(DICTIONARY);
if (!kept.reusing) console.log('NOTE: the kept engine fell back to deflateRawSync on this Node');
const codecs: [string, (b: Buffer) => Buffer][] = [
  ['deflateRawSync (engine per call)', (b) => deflateRawSync(b, { dictionary: DICTIONARY })],
  ['kept engine (the worker)', (b) => kept.deflate(b)],
  [
    'zstd level 3, same dictionary',
    (b) =>
      zstdCompressSync(b, {
        dictionary: DICTIONARY,
        params: { [constants.ZSTD_c_compressionLevel]: 3 },
      }),
  ],
];

// The same bytes, or the comparison means nothing.
for (const r of records) {
  if (!kept.deflate(r).equals(deflateRawSync(r, { dictionary: DICTIONARY })))
    throw new Error('kept engine: other bytes than deflateRawSync');
  if (!inflateRawSync(kept.deflate(r), { dictionary: DICTIONARY }).equals(r))
    throw new Error('no round trip');
}

const times = new Map<string, number[]>(codecs.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of round % 2 ? [...codecs].reverse() : codecs) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) run(records[i % records.length]!);
    times.get(name)!.push(Number(process.hrtime.bigint() - start) / PER_ROUND / 1000);
  }
}

const raw = records.reduce((n, r) => n + r.length, 0) / records.length;
console.log(
  `\ndeflate bench: ${records.length} stored records of ${raw.toFixed(0)} B on average (JSON), ` +
    `${ROUNDS} rounds of ${PER_ROUND} alternating; Node ${process.version}\n`,
);
console.log('| codec | bytes per record | µs per record, fastest round | median round |\n|---|---|---|---|');
const base = Math.min(...times.get(codecs[0]![0])!);
for (const [name, run] of codecs) {
  const bytes = records.reduce((n, r) => n + run(r).length, 0) / records.length;
  const ts = [...times.get(name)!].sort((a, b) => a - b);
  const fastest = ts[0]!;
  console.log(
    `| ${name} | ${bytes.toFixed(0)} | ${fastest.toFixed(1)} (${(fastest / base).toFixed(2)}×) | ${ts[Math.floor(ts.length / 2)]!.toFixed(1)} |`,
  );
}
