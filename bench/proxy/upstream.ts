import { createServer } from 'node:http';
import { serveFromChild } from '../child-server.js';

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
serveFromChild(server);
