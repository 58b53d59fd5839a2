import type { Server } from 'node:http';

/**
 * A bench server run as its own process: listens on a free loopback port, prints
 * `{"url": ...}` as its first stdout line for the parent to read, and closes on SIGTERM.
 */
export function serveFromChild(server: Server): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n');
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
