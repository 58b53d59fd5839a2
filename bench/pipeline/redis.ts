import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../spawn-server.js';
import { removeDir, spawnTracked, trackDir } from './processes.js';

/**
 * A throwaway `redis-server` per measured run: INFO cpu and memory then count this
 * run's work alone, not other users' of a shared Redis. No persistence (no RDB, no
 * AOF), like a default ElastiCache node, so Redis CPU is the commands' cost.
 */
export interface BenchRedis {
  url: string;
  info(): Promise<RedisFigures>;
  destroy(): Promise<void>;
}

export interface RedisFigures {
  /** used_cpu_user + used_cpu_sys, ms. */
  cpuMs: number;
  /** used_memory, bytes. */
  memory: number;
  keys: number;
}

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = trackDir(mkdtempSync(join(tmpdir(), 'hookgate-bench-redis-')));
  const child = spawnTracked(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  let client: Redis | undefined;
  const destroy = async () => {
    client?.disconnect();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    removeDir(dir);
  };
  try {
    for (let i = 0; !(await answersPing(port)); i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited before answering on port ${port}`);
      if (i > 100) throw new Error(`redis-server did not answer on port ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    client = new Redis(url, { maxRetriesPerRequest: 1 });
  } catch (err) {
    await destroy();
    throw err;
  }
  const redis = client;
  return {
    url,
    async info() {
      const [cpu, memory, keys] = await Promise.all([
        redis.info('cpu'),
        redis.info('memory'),
        redis.dbsize(),
      ]);
      const field = (text: string, name: string) =>
        Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
      return {
        cpuMs: (field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys')) * 1000,
        memory: field(memory, 'used_memory'),
        keys,
      };
    },
    destroy,
  };
}

function answersPing(port: number): Promise<boolean> {
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
