/**
 * The floor system's ingress: the least a gateway that answers only after Redis has
 * the event can do here. Fastify (as hookgate), the body read raw, one XADD of it to a
 * stream (pipelined with every other request's in the same turn), then 204. No
 * signature check, no dedupe, no record, no log line, no metrics: a lower bound for any
 * implementation of the pipeline on this stack, not something to run.
 *
 *   PORT, REDIS_URL, PREFIX
 */
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
const stream = `${process.env.PREFIX}:in`;
const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.get('/healthz', () => ({ ok: true }));
app.post('/hooks/stripe', async (req, reply) => {
  await redis.xadd(stream, '*', 'b', req.body as Buffer);
  return reply.code(204).send();
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => {
  void app.close().then(() => redis.quit().then(() => process.exit(0)));
});
