/**
 * The compose demo's two scripts, run for real: examples/send-webhook.mjs signs a
 * request the way a Standard Webhooks sender does, examples/receiver.mjs checks such a
 * signature (the one hookgate's HTTP destination adds) and prints what arrives over
 * HTTP and from an SQS queue (fauxqs, in-process here, the same emulator as the
 * compose demo's `fauxqs` container).
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const secret = `whsec_${Buffer.from('receiver-test-secret').toString('base64')}`;

interface Received {
  via: string;
  webhookId?: string;
  eventId?: string;
  source?: string;
  verified?: boolean;
  attributes?: Record<string, string>;
}

function node(script: string, args: string[], env: Record<string, string>): ChildProcess {
  // No NODE_OPTIONS: tap's loaders are not for the example scripts.
  return spawn(process.execPath, [join(repo, script), ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, out })));
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('receiver: signed HTTP deliveries and SQS messages', async (t) => {
  // As in compose: the queue URL names the host `fauxqs` (FAUXQS_HOST) and requests go
  // to the endpoint, so the URL's host never has to resolve.
  const fauxqs = await startFauxqs({ port: 0, logger: false, host: 'fauxqs' });
  t.teardown(() => fauxqs.stop());
  const { queueUrl } = fauxqs.createQueue('hookgate-demo');
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  const aws = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'fauxqs', AWS_SECRET_ACCESS_KEY: 'fauxqs' };

  const port = await freePort();
  const receiver = node('examples/receiver.mjs', [], {
    PORT: String(port),
    RECEIVER_SIGNING_SECRET: secret,
    RECEIVER_FAIL_FIRST: '1',
    SQS_QUEUE_URL: queueUrl,
    SQS_ENDPOINT: endpoint,
    ...aws,
  });
  const receiverDone = exited(receiver);
  t.teardown(() => receiver.kill('SIGTERM'));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('receiver /healthz', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
  const received = async () => (await (await fetch(`${base}/received`)).json()) as Received[];

  // A signed envelope, as hookgate's HTTP destination sends it: refused once
  // (RECEIVER_FAIL_FIRST=1, a retry demo), then accepted.
  const body = JSON.stringify({
    id: '01TESTEVENT',
    source: 'demo',
    requestContext: { condition: 'Success' },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.slice(6), 'base64');
  const sig = createHmac('sha256', key).update(`01TESTEVENT.${ts}.${body}`).digest('base64');
  const signed = {
    'content-type': 'application/json',
    'webhook-id': '01TESTEVENT',
    'webhook-timestamp': ts,
    'webhook-signature': `v1,${sig}`,
  };
  const post = (headers: Record<string, string>, b = body) =>
    fetch(`${base}/webhooks`, { method: 'POST', headers, body: b });
  t.equal((await post(signed)).status, 503, 'first attempt refused (retry demo)');
  t.equal((await post(signed)).status, 204, 'the retry is accepted');
  t.equal(
    (await post(signed, body.replace('demo', 'dem0'))).status,
    401,
    'a changed body fails the signature',
  );
  t.equal((await post({ ...signed, 'webhook-signature': 'v1,AAAA' })).status, 401, 'a wrong signature fails');
  t.equal((await post({ 'content-type': 'application/json' })).status, 401, 'an unsigned request fails');

  // The sender script signs with the same scheme: the receiver accepts it.
  const sender = node('examples/send-webhook.mjs', [`${base}/webhooks`, 'order.created'], {
    DEMO_WEBHOOK_SECRET: secret,
  });
  const sent = await exited(sender);
  // RECEIVER_FAIL_FIRST applies to each new id: the sender's single attempt gets 503.
  t.equal(sent.code, 1, sent.out);
  t.match(sent.out, /^503 /, 'the sender reports the status');

  // An SQS message as hookgate's SQS destination writes it.
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  t.teardown(() => sqs.destroy());
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({
        id: '01SQSEVENT',
        source: 'demo',
        requestContext: { condition: 'Success' },
      }),
      MessageAttributes: { 'hookgate-event-id': { DataType: 'String', StringValue: '01SQSEVENT' } },
    }),
  );
  const fromSqs = await waitFor('the SQS message at the receiver', async () =>
    (await received()).find((r) => r.via === 'sqs' && r.webhookId === '01SQSEVENT'),
  );
  t.equal(fromSqs.eventId, '01SQSEVENT', 'the envelope id is printed');
  t.equal(fromSqs.attributes?.['hookgate-event-id'], '01SQSEVENT');

  const http = (await received()).filter((r) => r.via === 'http');
  t.same(
    http.map((r) => [r.webhookId, r.eventId, r.verified]),
    [['01TESTEVENT', '01TESTEVENT', true]],
    'exactly the one verified delivery was kept',
  );
  receiver.kill('SIGTERM');
  const done = await receiverDone;
  t.equal(done.code, 0, 'exits 0 on SIGTERM');
  t.match(done.out, /"via":"http".*"webhookId":"01TESTEVENT"/, 'logs one JSON line per delivery');
});

t.test('send-webhook.mjs signs what the receiver verifies', async (t) => {
  // Without the fail-first knob: the full sender -> receiver handshake succeeds.
  const port = await freePort();
  const receiver = node('examples/receiver.mjs', [], { PORT: String(port), RECEIVER_SIGNING_SECRET: secret });
  const done = exited(receiver);
  t.teardown(() => receiver.kill('SIGTERM'));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('receiver /healthz', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
  const sent = await exited(
    node('examples/send-webhook.mjs', [`${base}/hooks/demo`], { DEMO_WEBHOOK_SECRET: secret }),
  );
  t.equal(sent.code, 0, sent.out);
  t.match(sent.out, /^204 /);
  const wrong = await exited(
    node('examples/send-webhook.mjs', [`${base}/hooks/demo`], { DEMO_WEBHOOK_SECRET: 'whsec_d3Jvbmc=' }),
  );
  t.equal(wrong.code, 1, 'a different secret is refused');
  t.match(wrong.out, /^401 /);
  receiver.kill('SIGTERM');
  t.equal((await done).code, 0);
});

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
    s.on('error', reject);
  });
}
