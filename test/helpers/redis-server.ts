import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway `redis-server` (binary on PATH) for tests that stop and restart Redis.
 * It persists with `appendfsync always` in its own temp dir, so a write Redis has
 * confirmed survives `kill()` (SIGKILL) and `start()` brings it back on the same port:
 * "every acknowledged event is still there" is then a real check.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts (or restarts) the server on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILL, like a crash; resolves once the process has exited. */
  kill(): Promise<void>;
  /** SIGTERM, an orderly shutdown (what a restart does); resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers (a stalled Redis). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the server and removes its data dir. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(String(d).startsWith('+PONG')));
  });
}

export interface RedisServerOptions {
  /** More `redis-server` arguments, e.g. `['--replicaof', '127.0.0.1', '6380']`. */
  args?: string[];
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child) throw new Error('redis-server is already running');
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        ...(options.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    for (let i = 0; i < 200; i++) {
      if (await pingOnce(port)) return;
      const gone = await Promise.race([
        exited.then(() => true),
        new Promise((r) => setTimeout(r, 50, false)),
      ]);
      if (gone) throw new Error(`redis-server exited before answering on port ${port}`);
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    kill: () => kill(),
    stop: () => kill('SIGTERM'),
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async destroy() {
      child?.kill('SIGCONT');
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
