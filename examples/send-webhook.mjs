#!/usr/bin/env node
// Sends one Standard Webhooks-signed test event to hookgate, the way a provider would.
// Node built-ins only (Node >= 18), so it runs on the host or in any hookgate container:
//
//   node examples/send-webhook.mjs [url] [event-type]
//   docker compose exec receiver node examples/send-webhook.mjs http://gateway:8080/hooks/demo
//
// url defaults to http://127.0.0.1:8080/hooks/demo; the secret is DEMO_WEBHOOK_SECRET,
// default the compose demo's (config/hookgate.compose.yaml).
// The repo eslint config has no Node globals for plain .mjs files; declare what is used.
import { createHmac, randomUUID } from 'node:crypto';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/hooks/demo';
const type = process.argv[3] ?? 'order.created';
const secret = process.env.DEMO_WEBHOOK_SECRET || 'whsec_aG9va2dhdGUtbG9jYWwtZGVtby1pbmJvdW5k';

const id = `msg_${randomUUID()}`;
const timestamp = Math.floor(Date.now() / 1000);
const body = JSON.stringify({ type, data: { orderId: randomUUID(), amount: 4200, currency: 'eur' } });
const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');

const res = await fetch(url, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  },
  body,
});
const eventId = res.headers.get('hookgate-event-id');
console.log(`${res.status} ${res.statusText}${eventId ? ` hookgate-event-id: ${eventId}` : ''}`);
const text = await res.text();
if (text) console.log(text);
process.exitCode = res.ok ? 0 : 1;
