import Fastify from 'fastify';

// The baseline: Fastify answering 204 with nothing else, as cheap as an HTTP server gets.
const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/hooks/stripe', async (_req, reply) => reply.code(204).send());
app.get('/healthz', () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
