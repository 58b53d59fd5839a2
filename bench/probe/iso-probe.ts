import { pino } from 'pino';
import { validateConfig } from '../../src/config/load.js';
import { createEventStore } from '../../src/queue/event-store.js';
import { startWorkerRuntime } from '../../src/worker/runtime.js';
import { sampleRecord } from '../../test/destinations/record.js';
import { startHttpReceiver } from '../../test/helpers/http-receiver.js';
const healthy = await startHttpReceiver();
const stalled = await startHttpReceiver({ fallback: 'stall' });
const failing = await startHttpReceiver({ fallback: { status: 500 } });
const throttled = await startHttpReceiver({ fallback: { status: 429, headers: { 'retry-after': '1' } } });
const only = (process.env.ONLY ?? 'stalled,failing,throttled').split(',');
const prefix = `iso${Date.now()}`;
const config = validateConfig({ redis: { prefix }, logLevel: 'silent',
  defaults: { concurrency: 10, retry: { attempts: 3, delay: '30ms', backoff: 'fixed', jitter: 0 }, timeout: '2s', breaker: { failures: 10, cooldown: '200ms', maxCooldown: '1s' } },
  sources: { stripe: { routes: [...only.map((to) => ({ to })), { to: 'healthy' }] } },
  destinations: { healthy: { type: 'http', url: healthy.url }, stalled: { type: 'http', url: stalled.url, timeout: '5s' },
    failing: { type: 'http', url: failing.url, retry: { attempts: 5, delay: '1s' } }, throttled: { type: 'http', url: throttled.url } } }, { env: {} });
const intake = createEventStore({ redis: config.redis, retention: 600000, enqueueTimeout: 5000 });
for (let i = 0; i < 1000; i += 100) await Promise.all(Array.from({ length: 100 }, () => intake.accept(sampleRecord(), { source: 'stripe' })));
const start = Date.now();
const rt = startWorkerRuntime(config, { logger: pino({ level: process.env.LOG ?? 'silent' }, process.stderr) });
await healthy.waitForRequests(1000, 120000);
console.log('healthy 1000 after', Date.now() - start, 'ms; stalled', stalled.requests.length, 'failing', failing.requests.length, 'throttled', throttled.requests.length);
await rt.close(1000); await intake.close();
process.exit(0);
