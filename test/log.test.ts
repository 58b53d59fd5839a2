import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../src/log.js';

function capture(): { lines: () => Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger('info', {}, stream);
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

t.test('provider signature headers are redacted wherever headers are logged', async (t) => {
  const { logger, lines } = capture();
  const headers = { 'stripe-signature': 't=1,v1=abc', authorization: 'Bearer x', 'content-type': 'a/b' };
  logger.warn({ headers }, 'h');
  logger.warn({ req: { headers } }, 'r');
  logger.warn({ record: { requestPayload: { headers } } }, 'p');
  const [a, b, c] = lines();
  t.same(a!.headers, {
    'stripe-signature': '[redacted]',
    authorization: '[redacted]',
    'content-type': 'a/b',
  });
  t.same((b!.req as { headers: unknown }).headers, a!.headers);
  t.same((c!.record as { requestPayload: { headers: unknown } }).requestPayload.headers, a!.headers);
  t.equal(headers['stripe-signature'], 't=1,v1=abc', "the caller's object is not changed");
});

t.test('secret, secrets, token and password, at the top and one level down', async (t) => {
  const { logger, lines } = capture();
  const verify = { type: 'stripe', secret: 'whsec_1', secrets: ['whsec_2'] };
  logger.info(
    { secret: 's', token: 't', verify, admin: { token: 'adm', port: 1 }, db: { password: 'pw' } },
    'x',
  );
  const [line] = lines();
  t.equal(line!.secret, '[redacted]');
  t.equal(line!.token, '[redacted]');
  t.same(line!.verify, { type: 'stripe', secret: '[redacted]', secrets: '[redacted]' });
  t.same(line!.admin, { token: '[redacted]', port: 1 });
  t.same(line!.db, { password: '[redacted]' });
  t.equal(verify.secret, 'whsec_1', "the caller's object is not changed");
  t.notMatch(JSON.stringify(lines()), /whsec_|adm"|"pw"/);
});

t.test('a line with nothing secret is written as given', async (t) => {
  const { logger, lines } = capture();
  logger.info({ source: 'stripe', status: 204, eventId: 'e1', durationMs: 1.5, tags: ['a'] }, 'request');
  const [line] = lines();
  t.match(line, {
    source: 'stripe',
    status: 204,
    eventId: 'e1',
    durationMs: 1.5,
    tags: ['a'],
    msg: 'request',
  });
});
