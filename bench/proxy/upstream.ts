import { createServer } from 'node:http';

// The synchronous API behind the proxy: reads the body, answers 201 with a small JSON
// document, as cheap as a Node HTTP server gets, so the bench measures the gateway.
// BENCH_UPSTREAM_CPU_MS makes each call spend that much CPU first, like an API that
// does some work: the ratio to direct then shows what the gateway costs such an API.
const workMs = Number(process.env.BENCH_UPSTREAM_CPU_MS ?? 0);
function work(): void {
  const until = performance.now() + workMs;
  while (performance.now() < until);
}
const answer = Buffer.from(JSON.stringify({ id: 'ord_1', status: 'created', total: 2000, currency: 'usd' }));
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (workMs > 0) work();
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
