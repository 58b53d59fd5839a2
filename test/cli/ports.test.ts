import { createServer, type Server } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { collect, spawnCli, writeConfig, type CliResult } from './run.js';

/** A port something else already listens on, for as long as the test runs. */
async function occupiedPort(t: Test): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/**
 * The process must end on its own. A guard, not a timing assertion: if it hangs (the
 * bug), it is killed after a generous while so the test fails instead of timing out.
 */
async function exitOnItsOwn(args: string[]): Promise<CliResult & { killed: boolean }> {
  const child = spawnCli(args);
  let killed = false;
  const guard = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, 60_000);
  const r = await collect(child);
  clearTimeout(guard);
  return { ...r, killed };
}

for (const command of ['serve', 'dev']) {
  t.test(
    `${command}: a busy webhook port with a rate-limited source exits 1 naming server.port`,
    async (t) => {
      const port = await occupiedPort(t);
      const prefix = uniquePrefix('busy-port');
      t.teardown(() => dropPrefix(prefix));
      const { file, cleanup } = writeConfig({
        server: { host: '127.0.0.1', port },
        redis: { url: REDIS_URL, prefix },
        logLevel: 'silent',
        sources: { limited: { rateLimit: { max: 10, window: '1m' } } },
      });
      t.teardown(cleanup);
      const r = await exitOnItsOwn([command, '--config', file]);
      t.notOk(r.killed, 'exits without being killed');
      t.equal(r.code, 1, r.stderr);
      t.equal(
        r.stderr.trim().split('\n').at(-1),
        `hookgate: webhook port 127.0.0.1:${port} is already in use (server.port)`,
      );
    },
  );
}
