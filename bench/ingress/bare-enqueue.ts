import Fastify from 'fastify';
import { createIntakeWriter } from '../../src/queue/intake-writer.js';
import type { Envelope } from '../../src/record/envelope.js';

// The floor for any gateway that answers only after Redis has the event: the bare
// server plus hookgate's own intake writer (record, dedupe key and intake entry, one accept
// script for every request of a loop turn), storing just the raw body, with no
// verification, no record and no logging. The gap between the bare row and this one
// is the durable write; the gap between this row and hookgate is everything else.
const store = createIntakeWriter({
  redis: {
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: process.env.BENCH_PREFIX ?? 'hgbench-floor',
  },
  retention: 3 * 86_400_000,
  enqueueTimeout: 2000,
});
let seq = 0;
const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/hooks/stripe', async (req, reply) => {
  const id = `floor-${process.pid}-${seq++}`;
  // Only the id is read by the store; the body stands in for the record.
  const record = { id, body: (req.body as Buffer).toString() } as unknown as Envelope;
  await store.accept(record, { source: 'stripe', dedupeKey: id });
  return reply.code(204).send();
});
app.get('/healthz', () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.on('SIGTERM', () => void Promise.all([app.close(), store.close()]).then(() => process.exit(0)));
