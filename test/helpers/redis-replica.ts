import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from './redis-server.js';

/**
 * A throwaway master and one replica (`redis-server --replicaof`), both from
 * startRedisServer (own temp dir, AOF). Resolves once the replica reports
 * `master_link_status:up`, so the first write is replicated like every later one.
 */
export interface ReplicatedRedis {
  master: RedisServer;
  replica: RedisServer;
  /** A plain connection to the replica, for reading what it has. */
  onReplica: Redis;
  /** Waits until the replica is linked to its master again (after a restart). */
  linked: (timeoutMs?: number) => Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startReplicatedRedis(t: Teardown): Promise<ReplicatedRedis> {
  // No 5 s wait for more replicas before the first (diskless) full sync.
  const master = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
  t.teardown(() => master.destroy());
  const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  t.teardown(() => replica.destroy());
  const onReplica = new Redis(replica.url, { maxRetriesPerRequest: 1 });
  onReplica.on('error', () => {});
  t.teardown(() => onReplica.disconnect());
  const onMaster = new Redis(master.url, { maxRetriesPerRequest: 1 });
  onMaster.on('error', () => {});
  t.teardown(() => onMaster.disconnect());
  // Linked as the replica sees it, and as the master's WAIT does: a replica that says
  // `up` may not have acknowledged an offset yet (on a loaded machine the first WAIT
  // of a test then missed its budget).
  const linked = async (timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const info = await onReplica.info('replication').catch(() => '');
      const acked =
        info.includes('master_link_status:up') &&
        Number(await onMaster.call('WAIT', '1', '200').catch(() => 0)) >= 1;
      if (acked) return;
      if (Date.now() > end) throw new Error('the replica did not link to its master');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await linked();
  // Tests count the WAITs hookgate sends: not these.
  await onMaster.call('CONFIG', 'RESETSTAT');
  return { master, replica, onReplica, linked };
}
