/**
 * The pipeline bench's destination, its own process: every POST /<route> is answered
 * 204 and recorded — requests per route, and per event id (found in the body, whatever
 * format it was sent in) the first arrival time on each route. POST /stall never
 * answers (a partner endpoint that hangs).
 *
 * Control (JSON): POST /_reset; POST /_expect {ids, routes}: the 2xx'd ids to wait for;
 * GET /_progress: how many of them each route still misses; GET /_arrivals?route=a:
 * the first arrival time (ms since epoch, or null) of each expected id, in order.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { serveFromChild } from '../child-server.js';
import { EVENT_ID } from './event-id.js';

let first = new Map<string, Map<string, number>>();
let requests = new Map<string, number>();
let expected: string[] = [];
let expectedRoutes: string[] = [];

function arrivals(route: string): Map<string, number> {
  let m = first.get(route);
  if (!m) first.set(route, (m = new Map<string, number>()));
  return m;
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  switch (url.pathname) {
    case '/_reset':
      first = new Map();
      requests = new Map();
      expected = [];
      return json(res, {});
    case '/_expect': {
      const body = JSON.parse(await readBody(req)) as { ids: string[]; routes: string[] };
      expected = body.ids;
      expectedRoutes = body.routes;
      return json(res, {});
    }
    case '/_progress': {
      const missing: Record<string, number> = {};
      let last = 0;
      for (const route of expectedRoutes) {
        const m = arrivals(route);
        missing[route] = 0;
        for (const id of expected) {
          const at = m.get(id);
          if (at === undefined) missing[route]++;
          else if (at > last) last = at;
        }
      }
      return json(res, { missing, last, requests: Object.fromEntries(requests) });
    }
    case '/_arrivals': {
      const m = arrivals(url.searchParams.get('route') ?? '');
      return json(
        res,
        expected.map((id) => m.get(id) ?? null),
      );
    }
    case '/_counts': {
      const distinct = Object.fromEntries([...first].map(([route, m]) => [route, m.size]));
      return json(res, { requests: Object.fromEntries(requests), distinct });
    }
    default:
      res.writeHead(404).end();
  }
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://receiver');
  if (url.pathname.startsWith('/_')) {
    control(req, res, url).catch((err: Error) => res.writeHead(500).end(err.message));
    return;
  }
  const route = url.pathname.slice(1);
  readBody(req).then(
    (body) => {
      const now = Date.now();
      requests.set(route, (requests.get(route) ?? 0) + 1);
      const id = EVENT_ID.exec(body)?.[0];
      if (id) {
        const m = arrivals(route);
        if (!m.has(id)) m.set(id, now);
      }
      if (route === 'stall') return; // never answered: the sender's timeout ends it
      res.writeHead(204).end();
    },
    () => res.destroy(),
  );
});
// Held /stall requests would keep close() waiting.
process.on('SIGTERM', () => server.closeAllConnections());
serveFromChild(server);
