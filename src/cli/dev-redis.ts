import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';

/** Where `hookgate dev` keeps the Redis it starts (relative to the working directory). */
export const DEV_REDIS_DIR = join('.hookgate', 'redis');

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

interface RedisTarget {
  host: string;
  port: number;
  password?: string;
}

function targetOf(config: Config): RedisTarget | undefined {
  if (config.redis.cluster) return undefined;
  try {
    const u = new URL(config.redis.url);
    if (u.protocol !== 'redis:') return undefined;
    const t: RedisTarget = { host: u.hostname, port: Number(u.port || 6379) };
    if (u.password) t.password = decodeURIComponent(u.password);
    return t;
  } catch {
    return undefined;
  }
}

/** True when something at host:port answers a Redis PING (any reply, NOAUTH included). */
export function redisAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, host.replace(/^\[|\]$/g, ''));
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => finish(/^[+-]/.test(String(d))));
  });
}

function onPath(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface LocalRedis {
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

export class DevRedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevRedisError';
  }
}

/**
 * `hookgate dev` on a laptop: when nothing answers at the configured local Redis
 * and `redis-server` is on PATH, start one on that port, persisting (AOF) under
 * `./.hookgate/redis` so events survive a restart. Returns undefined when Redis
 * already answers; throws DevRedisError when it cannot help.
 */
export async function ensureDevRedis(
  config: Config,
  binary = 'redis-server',
): Promise<LocalRedis | undefined> {
  const target = targetOf(config);
  if (!target) return undefined; // cluster or TLS: the operator's own Redis
  if (await redisAnswers(target.host, target.port)) return undefined;
  const where = `${target.host}:${target.port}`;
  if (!LOCAL_HOSTS.has(target.host)) {
    throw new DevRedisError(`Redis at ${where} is not reachable (only a local Redis is started for you)`);
  }
  if (!onPath(binary)) {
    throw new DevRedisError(`Redis at ${where} is not reachable and there is no redis-server on PATH`);
  }
  const dir = resolve(DEV_REDIS_DIR);
  mkdirSync(dir, { recursive: true });
  const args = [
    '--port',
    String(target.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--logfile',
    'redis.log',
  ];
  if (target.password) args.push('--requirepass', target.password);
  const child: ChildProcess = spawn(binary, args, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers('127.0.0.1', target.port, 200)) {
      return {
        port: target.port,
        dir,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    const gone = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 100, false))]);
    if (gone) throw new DevRedisError(`redis-server exited at start; see ${join(dir, 'redis.log')}`);
  }
  child.kill('SIGKILL');
  throw new DevRedisError(`redis-server did not answer on port ${target.port}`);
}
