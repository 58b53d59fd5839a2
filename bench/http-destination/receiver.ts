import { createServer } from 'node:http';
import { serveFromChild } from '../child-server.js';

// The webhook receiver, in its own process so its CPU is not counted: reads the body,
// answers 200 `ok`; `GET /count` says how many deliveries it took.
let received = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.end(String(received));
    return;
  }
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  });
});
serveFromChild(server);
