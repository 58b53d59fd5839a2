import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';
import { makeCertificates } from './redis-tls.js';

/**
 * A throwaway Redis Cluster: `size` masters (`redis-server --cluster-enabled yes`, no
 * persistence, `replicas` replicas each, default none) joined by
 * `redis-cli --cluster create`, in their own temp dir. Resolves once every node reports
 * `cluster_state:ok` (and every replica is linked to its master); torn down (SIGKILL,
 * temp dir removed) at the test's teardown.
 *
 *   const skip = clusterToolsMissing();
 *   t.test('...', { skip }, async (t) => { const c = await startRedisCluster(t); c.nodes; });
 *
 * With `tls: true`, the shape of ElastiCache in cluster mode with in-transit encryption:
 * the nodes speak only TLS, to clients and to each other (`--port 0 --tls-port`,
 * `--tls-cluster`, `--tls-replication`), announce themselves by host name (`localhost`,
 * so CLUSTER SLOTS names hosts, not IPs), and their certificate, signed by a throwaway
 * CA (`caFile`, for NODE_EXTRA_CA_CERTS), names `localhost` and no IP: a client that
 * dials 127.0.0.1 instead of the name is refused, as it would be by ElastiCache.
 */
export interface RedisCluster {
  readonly ports: number[];
  /**
   * `redis://[:password@]127.0.0.1:<port>` per node (`rediss://[:password@]localhost:<port>`
   * with `tls`): what `redis.cluster.nodes` takes.
   */
  readonly nodes: string[];
  /** With `tls`: PEM of the CA that signed the nodes' certificate. */
  readonly caFile?: string;
  /** SIGKILLs the node on `port` (a crash); resolves once it has exited. */
  kill(port: number): Promise<void>;
  /** Starts the node on `port` again (after kill), with the cluster state it had. */
  restart(port: number): Promise<void>;
}

export interface RedisClusterOptions {
  /** Masters (default 3). */
  size?: number;
  /** `requirepass` (and `masterauth`) on every node. */
  password?: string;
  /** TLS only, host-name certificate and announced host names (see above). */
  tls?: boolean;
  /** Replicas per master (default 0): `size * (1 + replicas)` nodes. */
  replicas?: number;
  /** `cluster-node-timeout`, ms (Redis's default 15000): how soon a dead master's replica takes over. */
  nodeTimeout?: number;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Why a cluster cannot be started here (a skip reason), or undefined when it can. */
export function clusterToolsMissing(): string | undefined {
  const missing = ['redis-server', 'redis-cli'].filter(
    (bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).error !== undefined,
  );
  return missing.length
    ? `${missing.join(' and ')} not on PATH (Debian: apt-get install redis-server, which brings redis-tools)`
    : undefined;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await freePort();
    if (port + 10000 > 65535 || taken.has(port) || taken.has(port + 10000)) continue;
    if (await portIsFree(port + 10000)) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a cluster node');
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`redis cluster: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function clusterInfo(port: number, password?: string, ca?: Buffer): Promise<string> {
  return ask(port, ['CLUSTER', 'INFO'], password, ca);
}

function nodeInfo(port: number, password?: string, ca?: Buffer): Promise<string> {
  return ask(port, ['INFO', 'replication'], password, ca);
}

async function ask(port: number, command: string[], password?: string, ca?: Buffer): Promise<string> {
  const redis = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    ...(password ? { password } : {}),
    ...(ca ? { tls: { ca, servername: 'localhost' } } : {}),
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return String(await redis.call(command[0]!, ...command.slice(1)));
  } finally {
    redis.disconnect();
  }
}

export async function startRedisCluster(
  t: Teardown,
  options: RedisClusterOptions = {},
): Promise<RedisCluster> {
  const { size = 3, password, tls = false, replicas = 0, nodeTimeout } = options;
  const auth = password ? ['--requirepass', password, '--masterauth', password] : [];
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-redis-cluster-'));
  const children: ChildProcess[] = [];
  const byPort = new Map<number, ChildProcess>();
  t.teardown(async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  const certs = tls ? makeCertificates(dir, { hostOnly: true }) : undefined;
  const ca = certs ? readFileSync(certs.ca) : undefined;
  const listen = (port: number) =>
    certs
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cluster',
          'yes',
          '--tls-replication',
          'yes',
          '--tls-cert-file',
          certs.cert,
          '--tls-key-file',
          certs.key,
          '--tls-ca-cert-file',
          certs.ca,
          '--tls-auth-clients',
          'no',
          '--cluster-announce-hostname',
          'localhost',
          '--cluster-preferred-endpoint-type',
          'hostname',
        ]
      : ['--port', String(port)];

  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < size * (1 + replicas); i++) {
    const port = await freeClusterPort(taken);
    taken.add(port).add(port + 10000);
    ports.push(port);
  }
  const spawnNode = (port: number) => {
    const child = spawn(
      'redis-server',
      [
        ...listen(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
        ...(nodeTimeout !== undefined ? ['--cluster-node-timeout', String(nodeTimeout)] : []),
        ...(replicas > 0 ? ['--repl-diskless-sync-delay', '0'] : []),
        ...auth,
      ],
      { stdio: 'ignore' },
    );
    children.push(child);
    byPort.set(port, child);
  };
  for (const port of ports) spawnNode(port);
  for (const port of ports) {
    await until(`node ${port} to answer`, async () =>
      (await clusterInfo(port, password, ca)).includes('cluster_'),
    );
  }

  const create = await run('redis-cli', [
    ...(certs ? ['--tls', '--cacert', certs.ca] : []),
    ...(password ? ['-a', password, '--no-auth-warning'] : []),
    '--cluster',
    'create',
    ...ports.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    String(replicas),
    '--cluster-yes',
  ]);
  if (create.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.output}`);
  for (const port of ports) {
    await until(`cluster_state:ok on ${port}`, async () =>
      (await clusterInfo(port, password, ca)).includes('cluster_state:ok'),
    );
  }
  if (replicas > 0) {
    for (const port of ports) {
      await until(`node ${port}: a master, or a replica linked to its master`, async () => {
        const info = await nodeInfo(port, password, ca);
        return info.includes('role:master') || info.includes('master_link_status:up');
      });
    }
  }
  const kill = (port: number) =>
    new Promise<void>((resolve) => {
      const c = byPort.get(port);
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  // The node's nodes.conf survives: it rejoins the cluster (a replica, if it was failed over).
  const restart = async (port: number) => {
    await kill(port);
    spawnNode(port);
    await until(`node ${port} to answer again`, async () =>
      (await clusterInfo(port, password, ca)).includes('cluster_'),
    );
  };
  const userinfo = password ? `:${encodeURIComponent(password)}@` : '';
  if (certs) {
    return {
      ports,
      nodes: ports.map((p) => `rediss://${userinfo}localhost:${p}`),
      caFile: certs.ca,
      kill,
      restart,
    };
  }
  return { ports, nodes: ports.map((p) => `redis://${userinfo}127.0.0.1:${p}`), kill, restart };
}
