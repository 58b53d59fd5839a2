import { Agent, createServer, request } from 'node:http';
import { serveFromChild } from '../child-server.js';

// The floor for any proxy hop on this machine: Node's http server piping each call to
// the upstream over a keep-alive pool, with no verification, record or logging. The
// gap between direct and this row is the hop; the gap between this row and hookgate
// is hookgate.
const upstream = new URL(process.argv[2]!);
const agent = new Agent({ keepAlive: true });
const server = createServer((req, res) => {
  const forward = request(
    {
      agent,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: upstream.pathname,
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', () => res.writeHead(502).end());
  req.pipe(forward);
});
serveFromChild(server);
