import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import t from 'tap';
import { errors } from '../../src/errors.js';
import { gateway } from '../proxy/harness.js';
import { startUpstream } from '../proxy/upstream.js';
import { STRIPE_SECRET, stripeSignature } from './harness.js';
import { parseAnswer, type RawAnswer } from './raw-socket.js';

/**
 * A bounded, seeded fuzz run against a real gateway over real sockets: hostile
 * methods, paths, raw HTTP, signature headers, signed hostile bodies and proxy paths
 * with dot segments. Whatever comes in: the process keeps answering, nothing is a
 * 5xx, nothing unsigned gets a 2xx, every error is `{"error":{"code","message"}}`
 * with the status the catalogue gives its code, and no request reaches the API
 * behind a proxy source outside the source's base path.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const ROUNDS = 60;

/** mulberry32 */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** code → status, from the catalogue itself. */
function catalogue(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, make] of Object.entries(errors) as [string, (...args: unknown[]) => unknown][]) {
    const arg = name === 'methodNotAllowed' ? ['GET'] : name === 'badRequest' ? 'x' : 1;
    const e = make(arg) as { code: string; statusCode: number };
    out.set(e.code, e.statusCode);
  }
  // Answered by the raw-socket handler (and /readyz), until they join the catalogue.
  for (const [code, status] of [
    ['HEADERS_TOO_LARGE', 431],
    ['REQUEST_TIMEOUT', 408],
    ['NOT_READY', 503],
  ] as const)
    if (!out.has(code)) out.set(code, status);
  return out;
}

interface Case {
  kind: string;
  /** The bytes sent, as is. */
  raw: Buffer;
  /** Whether it carries a valid signature or key (only then may it be answered 2xx). */
  signed: boolean;
}

/** Sends one request on its own connection; the answer after any 1xx, or status NaN if none. */
function exchange(port: number, raw: Buffer): Promise<RawAnswer & { text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    // The gateway's own timeouts (1 s / 2 s below) end every exchange well before this.
    const guard = setTimeout(() => reject(new Error('no answer and no close within 10 s')), 10_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {}); // a reset after the answer (or instead of one) is judged below
    socket.on('close', () => {
      clearTimeout(guard);
      let text = Buffer.concat(chunks).toString('latin1');
      while (/^HTTP\/1\.1 1\d\d /.test(text)) text = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ ...parseAnswer(text), text });
    });
    socket.write(raw);
  });
}

t.test(`fuzz (seed ${SEED}): no crash, no 5xx, no unsigned 2xx, errors as catalogued`, async (t) => {
  const random = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const up = await startUpstream({ status: 200, body: 'ok' });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    server: { bodyLimit: '256kb', headersTimeout: '1s', requestTimeout: '2s' },
    sources: {
      stripe: { verify: { type: 'stripe', secrets: [STRIPE_SECRET] } },
      signed: {
        path: '/in/signed',
        methods: ['POST', 'PUT'],
        verify: { type: 'hmac', header: 'x-sig', secrets: ['s'] },
      },
      api: {
        mode: 'proxy',
        path: '/api/orders',
        methods: ['GET', 'POST', 'PUT'],
        verify: { type: 'api-key', secrets: ['k'] },
        upstream: { url: `${up.url}/base` },
      },
    },
  });
  const port = Number(new URL(gw.url).port);
  const statusOf = catalogue();

  const METHODS = [
    'GET',
    'POST',
    'PUT',
    'DELETE',
    'PATCH',
    'OPTIONS',
    'HEAD',
    'TRACE',
    'PROPFIND',
    'FOO',
    'get',
    'P0ST',
    'X'.repeat(300),
  ];
  const SEGMENTS = [
    '..',
    '%2e%2e',
    '%2E%2E',
    '.%2e',
    '%2e.',
    '.',
    '%2e',
    'a',
    'b',
    '%00',
    '%',
    '%zz',
    '%E0%A4%A',
    '',
    '\\',
    '..\\..',
    '..;',
    '%2f..%2f',
    '..%5c',
    '*',
    'é',
    'x'.repeat(2000),
    '?',
    '%3f',
    ';a=b',
    '&',
  ];
  const PREFIXES = [
    '/hooks/stripe',
    '/in/signed',
    '/api/orders',
    '/api/orders-x',
    '/',
    '/hooks',
    '//api/orders',
    '/API/orders',
    '/api/%6Frders',
    '*',
    'http://x/api/orders',
    '',
  ];
  const hostilePath = () => {
    let path = pick(PREFIXES);
    for (let n = Math.floor(random() * 5); n > 0; n--) path += `/${pick(SEGMENTS)}`;
    return path;
  };
  const BODIES: (() => Buffer)[] = [
    () => Buffer.from('{"id":"evt_x","a":1}'),
    () => Buffer.from(`{"id":"evt_d","d":${'['.repeat(20_000)}${']'.repeat(20_000)}}`),
    () => Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"id":"evt_p"}'),
    () => Buffer.from('{"id":"evt_n","n":1e400,"m":-123456789012345678901234567890.5e-999}'),
    () => Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), // invalid UTF-8
    () => Buffer.from('\ufeff{"id":"evt_bom"}'),
    () => Buffer.alloc(0),
    () => Buffer.from('\u0000\u0001 not json at all'),
    () => Buffer.from(`{"id":"${'\\u0000'.repeat(1000)}"}`),
    () => Buffer.alloc(300 * 1024, 0x61), // over bodyLimit
  ];
  const request = (method: string, path: string, headers: string[], body: Buffer): Buffer =>
    Buffer.concat([
      Buffer.from(
        `${method} ${path} HTTP/1.1\r\nHost: fuzz\r\n${headers.map((h) => `${h}\r\n`).join('')}` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        'latin1',
      ),
      body,
    ]);

  const cases: Case[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Hostile methods and paths, unsigned.
    cases.push({
      kind: 'method/path',
      raw: request(pick(METHODS), hostilePath(), [], pick(BODIES)()),
      signed: false,
    });
    // Signature headers: forged, malformed, stale, for another body.
    const body = pick(BODIES)();
    const forged = pick([
      '',
      't=1,v1=00',
      `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
      stripeSignature('another body'),
      stripeSignature(body.toString(), { timestamp: 1 }),
      'v1=,t=,,,=',
      `t=${'9'.repeat(400)},v1=${'a'.repeat(4000)}`,
      'garbage\u00ff',
    ]);
    cases.push({
      kind: 'forged signature',
      raw: request(
        'POST',
        '/hooks/stripe',
        [`Stripe-Signature: ${forged}`, 'Content-Type: application/json'],
        body,
      ),
      signed: false,
    });
    cases.push({
      kind: 'forged hmac',
      raw: request(
        'POST',
        '/in/signed',
        [`X-Sig: ${pick(['', 'zz', createHmac('sha256', 'wrong').update(body).digest('hex')])}`],
        body,
      ),
      signed: false,
    });
    // Validly signed hostile bodies.
    const hostile = pick(BODIES)();
    cases.push({
      kind: 'signed body',
      raw: request(
        'POST',
        '/in/signed',
        [
          `X-Sig: ${createHmac('sha256', 's').update(hostile).digest('hex')}`,
          `Content-Type: ${pick(['application/json', '', 'json', 'text/plain; charset=x'])}`,
        ],
        hostile,
      ),
      signed: true,
    });
    const utf8 = Buffer.from(hostile.toString('utf8'));
    cases.push({
      kind: 'signed stripe body',
      raw: request(
        'POST',
        '/hooks/stripe',
        [`Stripe-Signature: ${stripeSignature(utf8.toString())}`, 'Content-Type: application/json'],
        utf8,
      ),
      signed: true,
    });
    // Proxy paths with dot segments, with the key.
    let proxyPath = '/api/orders';
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) proxyPath += `/${pick(SEGMENTS.slice(0, 20))}`;
    cases.push({
      kind: 'proxy path',
      raw: request(
        pick(['GET', 'POST', 'PUT', 'DELETE']),
        proxyPath,
        ['X-Api-Key: k'],
        pick(BODIES.slice(0, 4))(),
      ),
      signed: true,
    });
    // Raw HTTP: malformed lines, framing tricks.
    cases.push({
      kind: 'raw http',
      raw: Buffer.from(
        pick([
          'GET / HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n',
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\nabcdef',
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
          'POST /api/orders HTTP/1.1\r\nHost: x\r\nX-Api-Key: k\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nfffffffffffffffff\r\n',
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nBad Header\r\nConnection: close\r\n\r\n',
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\nConnection: close\r\n\r\n',
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\nConnection: close\r\n\r\n',
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nExpect: 999-nope\r\nContent-Length: 1\r\n\r\nz',
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n',
          'POST /hooks/stripe HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
          `POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
          'POST /hooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\nshort',
          '\r\n\r\n\r\n',
          'GARBAGE\r\n\r\n',
          'POST /hooks/stripe HTTP/1.1\nHost: x\nConnection: close\n\n',
          `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ]),
        'latin1',
      ),
      signed: false,
    });
  }

  const problems: string[] = [];
  const seen = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const answer = await exchange(port, c.raw);
      const what = `${c.kind}: ${JSON.stringify(c.raw.toString('latin1').slice(0, 120))} → ${answer.status}`;
      const key = `${c.kind} ${answer.status}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (Number.isNaN(answer.status)) {
        // Node may drop a connection it cannot parse at all before a byte of answer.
        if (c.kind !== 'raw http') problems.push(`${what}: no answer`);
        continue;
      }
      if (answer.status >= 500) problems.push(`${what}: a 5xx`);
      if (answer.status >= 200 && answer.status < 300 && !c.signed) problems.push(`${what}: unsigned 2xx`);
      if (answer.status >= 400) {
        const head = c.raw.toString('latin1').startsWith('HEAD ');
        if (head) continue; // no body for HEAD
        let error: { code?: unknown; message?: unknown } | undefined;
        try {
          const parsed = JSON.parse(answer.body) as { error?: typeof error };
          error = Object.keys(parsed).length === 1 ? parsed.error : undefined;
        } catch {
          error = undefined;
        }
        if (
          !error ||
          typeof error.code !== 'string' ||
          typeof error.message !== 'string' ||
          Object.keys(error).length !== 2
        ) {
          problems.push(`${what}: not the error format: ${JSON.stringify(answer.body.slice(0, 200))}`);
        } else if (statusOf.get(error.code) !== answer.status) {
          problems.push(`${what}: ${error.code} is ${statusOf.get(error.code) ?? 'not in the catalogue'}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));

  t.same(problems, [], `${cases.length} requests`);
  // Nothing the API was sent lies outside its base path, as the most lenient upstream
  // would read it: \, %2F and %5C as /, slashes merged, ;params cut, %2e a dot.
  const escaped = up.requests
    .map((r) => r.url.split('?')[0]!)
    .filter((path) => {
      if (!(path === '/base' || path.startsWith('/base/'))) return true;
      let depth = 0;
      for (const segment of path.slice('/base'.length).split(/\/|\\|%2f|%5c/i)) {
        const s = segment.split(';')[0]!.replace(/%2e/gi, '.');
        if (s === '..') depth--;
        else if (s !== '' && s !== '.') depth++;
        if (depth < 0) return true;
      }
      return false;
    });
  t.same(escaped, [], `${up.requests.length} proxied requests, all inside /base`);
  const health = await fetch(`${gw.url}/healthz`);
  t.equal(health.status, 200, 'still answering');
  t.ok(
    [...seen.keys()].some((k) => k.startsWith('signed body 2')),
    'some signed hostile bodies were accepted (the run is not all refusals)',
  );
  t.comment(
    [...seen.entries()]
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join(', '),
  );
});
