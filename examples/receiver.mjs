#!/usr/bin/env node
// Example destination for the compose demo (the `receiver` service): an HTTP endpoint that checks
// hookgate's Standard Webhooks signature and prints what it got, and (when
// SQS_QUEUE_URL is set) a poller that prints what hookgate put on the SQS queue.
// Node built-ins only; the SQS part borrows @aws-sdk/client-sqs from the hookgate
// image it runs in (compose mounts this folder at /app/examples).
//
//   PORT=3000                        listen port
//   RECEIVER_SIGNING_SECRET=whsec_…  the destination's sign.secret; unset: no check
//   RECEIVER_FAIL_FIRST=0            answer 503 to the first N attempts of each event (shows retries)
//   SQS_QUEUE_URL / SQS_ENDPOINT / AWS_REGION   poll this queue (fauxqs in compose)
//
// GET /healthz -> 200; GET /received -> the last 100 deliveries as JSON.
// The repo eslint config has no Node globals for plain .mjs files; declare what is used.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const secret = process.env.RECEIVER_SIGNING_SECRET ?? '';
const failFirst = Number(process.env.RECEIVER_FAIL_FIRST ?? 0);
const toleranceSeconds = 5 * 60;
const received = [];
const attempts = new Map();

function log(fields) {
  // One JSON line per event: easy to read in `docker compose logs` and to grep in tests.
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

function remember(entry) {
  received.push(entry);
  if (received.length > 100) received.shift();
}

/** Standard Webhooks: `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`, any of several space-separated. */
function verifyStandardWebhook(signingSecret, headers, body, now = Date.now()) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return 'missing webhook-id/-timestamp/-signature';
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) {
    return 'timestamp outside tolerance';
  }
  // Same key rule as hookgate: whsec_ + base64, otherwise the raw string.
  const key = signingSecret.startsWith('whsec_')
    ? Buffer.from(signingSecret.slice(6), 'base64')
    : Buffer.from(signingSecret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',');
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return 'signature mismatch';
}

function summarize(body) {
  try {
    const record = JSON.parse(body.toString('utf8'));
    return { eventId: record.id, source: record.source, condition: record.requestContext?.condition };
  } catch {
    return { bytes: body.length };
  }
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return void res.writeHead(200).end('ok');
  if (req.method === 'GET' && req.url === '/received') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(received));
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const problem = secret ? verifyStandardWebhook(secret, req.headers, body) : null;
    if (problem) {
      log({ via: 'http', status: 401, problem });
      return void res.writeHead(401).end();
    }
    const id = String(req.headers['webhook-id'] ?? '');
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    if (attempt <= failFirst) {
      log({ via: 'http', status: 503, webhookId: id, attempt, note: 'RECEIVER_FAIL_FIRST' });
      return void res.writeHead(503, { 'retry-after': '1' }).end();
    }
    const entry = {
      via: 'http',
      path: req.url,
      webhookId: id,
      verified: Boolean(secret),
      attempt,
      ...summarize(body),
    };
    remember(entry);
    log(entry);
    res.writeHead(204).end();
  });
});

let polling = false;
async function pollSqs(queueUrl) {
  // Loaded only when asked for, so the HTTP receiver runs anywhere with plain Node.
  const { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
  const sqs = new SQSClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: process.env.SQS_ENDPOINT,
  });
  polling = true;
  log({ via: 'sqs', note: `polling ${queueUrl}` });
  while (polling) {
    try {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 2,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const m of out.Messages ?? []) {
        const attrs = Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
        );
        const entry = {
          via: 'sqs',
          webhookId: attrs['hookgate-event-id'],
          attributes: attrs,
          ...summarize(Buffer.from(m.Body ?? '')),
        };
        remember(entry);
        log(entry);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    } catch (err) {
      // fauxqs may still be starting: say so and keep going.
      log({ via: 'sqs', error: err.message });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

server.listen(port, '0.0.0.0', () => {
  log({ note: `receiver listening on :${port}`, verifying: Boolean(secret) });
  if (process.env.SQS_QUEUE_URL) void pollSqs(process.env.SQS_QUEUE_URL);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    polling = false;
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  });
}
