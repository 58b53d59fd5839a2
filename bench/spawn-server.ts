import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface Spawned {
  child: ChildProcess;
  url: string;
}

/**
 * Starts a server (run with tsx) on a port chosen here, `PORT` in its environment,
 * and waits until GET /healthz answers — whatever it logs, at whatever log level.
 */
export async function startOnPort(args: string[], port: number, nodeArgs: string[] = []): Promise<Spawned> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) throw new Error(`${args.join(' ')} exited before listening`);
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.status > 0,
      () => false,
    );
    if (up) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
    server.on('error', reject);
  });
}

/** SIGTERM, and wait for the exit. */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
