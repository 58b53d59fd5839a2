import t from 'tap';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import { startIngress } from '../../src/ingress/server.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { storedEvent } from '../helpers/stored-events.js';
import { captureLogger, STRIPE_SECRET, stripeSignature } from './harness.js';
import { send } from './http-client.js';

t.test('`hookgate serve`: stores a signed webhook, logs refusals, no secret; exits 0', async (t) => {
  const prefix = uniquePrefix('serve');
  t.teardown(() => dropPrefix(prefix));
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-serve-'));
  const file = join(dir, 'hookgate.yaml');
  writeFileSync(
    file,
    `
server: { host: 127.0.0.1, port: 0 }
redis: { url: "${REDIS_URL}", prefix: ${prefix} }
sources:
  stripe:
    verify: { type: stripe, secrets: [ "\${STRIPE_SECRET}" ] }
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', file], {
    env: { ...process.env, STRIPE_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += String(d);
      const m = /"url":"(http:\/\/[^"]+)"/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });

  const body = JSON.stringify({ id: 'evt_serve', type: 'invoice.paid' });
  const signature = stripeSignature(body);
  const res = await send(`${url}/hooks/stripe`, {
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
  t.equal(res.status, 204);
  const id = res.headers['hookgate-event-id'] as string;
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  t.equal((await storedEvent(redis, prefix, id))?.record.requestPayload.body, body);
  const refused = await send(`${url}/hooks/stripe`, {
    headers: {
      'content-type': 'application/json',
      'stripe-signature': stripeSignature(body, { secret: 'whsec_x' }),
    },
    body,
  });
  t.equal(refused.status, 401);

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0');
  t.equal(stderr, '');
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  // At the default level a refusal has its request line and an accepted webhook none
  // (it is logged at debug: the stored event is its trace).
  t.ok(lines.some((l) => l.msg === 'request' && l.status === 401 && l.source === 'stripe' && l.level === 30));
  t.notOk(
    lines.some((l) => l.msg === 'request' && l.status === 204),
    'no info line for a 2xx',
  );
  t.notOk(
    lines.some((l) => l.eventId === id && l.msg !== 'duplicate'),
    'the stored event logged nowhere at info',
  );
  t.ok(lines.some((l) => l.msg === 'stopped'));
  t.notOk(stdout.includes(STRIPE_SECRET), 'the secret is not logged');
  t.notOk(stdout.includes(signature.split('v1=')[1]!), 'the signature is not logged');
});

t.test('close() drains a request in flight before closing Redis', async (t) => {
  const prefix = uniquePrefix('drain');
  t.teardown(() => dropPrefix(prefix));
  const config = validateConfig(
    { server: { host: '127.0.0.1', port: 0 }, redis: { url: REDIS_URL, prefix }, sources: { s: {} } },
    { env: {} },
  );
  const { logger } = captureLogger();
  const running = await startIngress(config, logger);

  const body = '{"slow":true}';
  // Expect: 100-continue tells us when the server has parsed the request: then it is in flight.
  const response = new Promise<{ status: number; id: string }>((resolve, reject) => {
    const req = request(`${running.url}/hooks/s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, id: res.headers['hookgate-event-id'] as string }),
      );
    });
    req.on('continue', () => {
      req.write(body.slice(0, 5));
      closing = running.close();
      setImmediate(() => req.end(body.slice(5)));
    });
  });
  let closing: Promise<void> | undefined;
  const { status, id } = await response;
  t.equal(status, 204, 'the in-flight request was answered');
  await closing;
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  t.equal((await storedEvent(redis, prefix, id))?.record.requestPayload.body, body, 'and stored');
  await t.rejects(send(`${running.url}/hooks/s`, { body: '{}' }), 'no longer accepting');
});
