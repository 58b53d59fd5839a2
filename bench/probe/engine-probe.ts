// Quick probe (not committed): Redis CPU / memory / worker CPU per event for the v2 engine, in-process.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import { createEventStore } from '../../src/queue/event-store.js';
import { startWorkerRuntime } from '../../src/worker/runtime.js';
import { sampleRecord } from '../../test/destinations/record.js';
import { freePort } from '../../test/helpers/redis-server.js';

const N = Number(process.env.N ?? 3000);
const port = await freePort();
const rs = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 300));
const url = `redis://127.0.0.1:${port}`;
const r = new Redis(url);
let got = 0;
const rx = createServer((req, res) => { req.resume(); req.on('end', () => { got++; res.writeHead(204).end(); }); });
await new Promise<void>((res) => rx.listen(0, '127.0.0.1', res));
const rxUrl = `http://127.0.0.1:${(rx.address() as { port: number }).port}`;
const config = validateConfig({ redis: { url, prefix: 'probe' }, logLevel: 'silent',
  defaults: { concurrency: 50 },
  sources: { stripe: { routes: [{ to: 'a' }, { to: 'b' }] } },
  destinations: { a: { type: 'http', url: `${rxUrl}/a` }, b: { type: 'http', url: `${rxUrl}/b` } } }, { env: {} });
const cpu = async () => { const i = await r.info('cpu'); return Number(/used_cpu_sys:([\d.]+)/.exec(i)![1]) + Number(/used_cpu_user:([\d.]+)/.exec(i)![1]); };
const mem = async () => Number(/used_memory:(\d+)/.exec(await r.info('memory'))![1]);
const intake = createEventStore({ redis: config.redis, retention: config.retention.events, dedupeRetention: config.retention.dedupe, enqueueTimeout: 5000 });
const body = (i: number) => JSON.stringify({ id: `evt_${i}_${Math.random().toString(36).slice(2)}`, object: 'event', type: 'invoice.paid', created: 1733140000, data: { object: { id: `in_${i}`, customer: 'cus_abc', amount_due: 1999 + i, lines: Array.from({ length: 6 + (i % 12) }, (_, j) => ({ id: `il_${j}`, amount: 100 * j, currency: 'usd', description: `Line ${j} of invoice ${i}` })) } } });
const records = Array.from({ length: N }, (_, i) => sampleRecord({ body: body(i) }));
console.log('avg body', Math.round(records.reduce((n, x) => n + (x.requestPayload.body?.length ?? 0), 0) / N), 'B, record', Math.round(records.reduce((n, x) => n + JSON.stringify(x).length, 0) / N), 'B');
await intake.accept(records[0]!, { source: 'stripe' }); // warm
const m0 = await mem(); const c0 = await cpu();
const t0 = process.cpuUsage();
for (let i = 1; i < N; i += 50) await Promise.all(records.slice(i, i + 50).map((rec) => intake.accept(rec, { source: 'stripe', dedupeKey: JSON.parse(rec.requestPayload.body!).id })));
const c1 = await cpu(); const ingressCpu = process.cpuUsage(t0);
console.log('ingress write: redis cpu/event', ((c1 - c0) / N * 1e6).toFixed(1), 'us; client cpu/event', ((ingressCpu.user + ingressCpu.system) / N).toFixed(1), 'us');
const w0 = process.cpuUsage(); const start = Date.now();
const { pino } = await import('pino'); const http = await import('node:http');
const { formatRecord } = await import('../../src/record/format.js');
const agent = new http.Agent({ keepAlive: true });
const factory = (name: string) => ({ name, type: 'http', close: async () => {}, send: (rec: any) => new Promise<any>((resolve, reject) => {
  const f = formatRecord(rec, 'envelope');
  const req = http.request(`${rxUrl}/${name}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'webhook-id': rec.id, 'content-length': f.bytes.length } }, (res) => { res.resume(); res.on('end', () => resolve({ info: { status: res.statusCode } })); });
  req.on('error', reject); req.end(f.bytes); }) });
const rt = startWorkerRuntime(config, { ...(process.env.FETCH ? {} : { destinations: factory as any }), logger: pino({ level: process.env.LOG ?? 'silent' }, process.stderr) });
while (got < 2 * N) await new Promise((res) => setTimeout(res, 20));
const secs = (Date.now() - start) / 1000;
const wcpu = process.cpuUsage(w0);
await new Promise((res) => setTimeout(res, 300));
const c2 = await cpu(); const m1 = await mem();
console.log(`worker: ${(N / secs).toFixed(0)} events/s; cpu/event (worker+receiver) ${((wcpu.user + wcpu.system) / N).toFixed(0)} us; redis cpu/event ${((c2 - c1) / N * 1e6).toFixed(1)} us`);
console.log(`redis memory kept per event ${((m1 - m0) / N).toFixed(0)} B; keys ${await r.dbsize()}`);
const q = await r.keys('probe:deliveries*'); console.log('bullmq keys', q.length, q.slice(0, 12)); console.log(await rt.store.queue('a').getJobCounts()); console.log(await r.xpending('probe:hg:in', 'workers'));
console.log((await r.info('commandstats')).split('\n').filter((l) => /calls=/.test(l)).map((l) => l.replace(/,usec_per_call.*/, '')).join('\n'));
const ks = await r.keys('*'); const kinds = new Map(); for (const k of ks) { const kind = k.split(':').slice(0, 3).join(':'); kinds.set(kind, (kinds.get(kind) ?? 0) + 1); } console.log(kinds);
{ const { decodeMarks } = await import('../../src/queue/stored-event.js'); const kinds2 = new Map(); for (const k of (await r.keys('probe:hg:e:*')).slice(0, 2000)) { const v = await r.getBuffer(k); const m = v ? decodeMarks(v) : 'gone'; const key = m ? JSON.stringify(Object.values(m).map((x) => x[0])) : 'unrouted?'; kinds2.set(key, (kinds2.get(key) ?? 0) + 1); } console.log('marks', kinds2); }
await rt.close(2000); await intake.close(); r.disconnect(); rx.close(); rs.kill();
