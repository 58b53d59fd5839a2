import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import type { RedisConnection } from './connection.js';

/**
 * `redis.ackReplicas`: before the durable ack, `WAIT n timeout` on the connection that
 * carried the write. Redis replicates asynchronously, so a master that dies right after
 * confirming a write can take it with it; WAIT returns once `n` replicas have
 * acknowledged every write this connection made before it (or at the timeout, with
 * how many did).
 *
 * WAIT counts this client's writes only, so it goes on the very socket of the write:
 * the standalone connection itself, or in cluster mode the connection ioredis keeps
 * to the master of the key's slot (`nodes('master')` are those connections).
 *
 * A WAIT blocks its connection, so one in flight per node connection is shared:
 * replies on one connection come back in order, so a WAIT still pending when a
 * write's reply has arrived was sent after that write and covers it. Writes that
 * arrive while it blocks queue behind it and are covered by the next one; under load
 * one WAIT confirms a whole batch.
 */

/** Why the ack could not be given: fewer than `wanted` replicas confirmed in time. */
export class ReplicasNotConfirmedError extends Error {
  constructor(
    readonly wanted: number,
    readonly confirmed: number,
  ) {
    super(`${confirmed} of ${wanted} replica(s) confirmed the write in time`);
    this.name = 'ReplicasNotConfirmedError';
  }
}

/**
 * Answered a little before the caller's own deadline, so the reason reaches the
 * caller as "replicas" rather than losing the race to its general timeout.
 */
const MARGIN_MS = 5;

const pending = new WeakMap<Redis, Promise<number>>();

/** One WAIT on `node`, shared by every caller whose write it covers. */
function sharedWait(node: Redis, replicas: number, timeoutMs: number): Promise<number> {
  const inFlight = pending.get(node);
  if (inFlight) return inFlight;
  const wait = (node.call('WAIT', replicas, Math.max(1, Math.floor(timeoutMs))) as Promise<number>).then(
    Number,
  );
  pending.set(node, wait);
  const clear = () => {
    if (pending.get(node) === wait) pending.delete(node);
  };
  wait.then(clear, clear);
  return wait;
}

/**
 * Resolves once `replicas` replicas have the writes this connection made for `key`
 * (every write before this call); rejects with ReplicasNotConfirmedError shortly
 * before `deadline` (a `performance.now()` time) otherwise, and with the connection's
 * error if WAIT itself fails.
 *
 * `touch` (a duplicate: `key` is its dedupe key, `touch` the value it holds): the
 * original may have been written by another connection (another gateway, or this one
 * while an earlier WAIT failed), which WAIT on this one does not cover. Rewriting the
 * key with its own value (`SET XX KEEPTTL`) puts a write of this connection after the
 * original in the replication stream, so the WAIT covers the original too: a retry of
 * an event refused for want of replicas is not answered 2xx before they have it.
 */
export async function waitForReplicas(
  redis: RedisConnection,
  key: string,
  replicas: number,
  deadline: number,
  touch?: string,
): Promise<void> {
  if (replicas <= 0) return;
  const node = nodeFor(redis, key);
  if (touch !== undefined) await node.call('SET', key, touch, 'XX', 'KEEPTTL');
  let confirmed = 0;
  for (;;) {
    const left = deadline - MARGIN_MS - performance.now();
    if (left < 1) throw new ReplicasNotConfirmedError(replicas, confirmed);
    const joined = pending.has(node);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(resolve, left, 'late');
    });
    const result = await Promise.race([sharedWait(node, replicas, left), late]).finally(() =>
      clearTimeout(timer),
    );
    if (result === 'late') throw new ReplicasNotConfirmedError(replicas, confirmed);
    confirmed = result;
    if (confirmed >= replicas) return;
    // Our own WAIT ran out: the replicas are not there. One we joined may have had a
    // shorter timeout than our budget: ask again with what is left.
    if (!joined) throw new ReplicasNotConfirmedError(replicas, confirmed);
  }
}

/** The connection that carried the write of `key`: in a cluster, its slot's master. */
function nodeFor(redis: RedisConnection, key: string): Redis {
  if (!('nodes' in redis)) return redis;
  const owner = redis.slots[keySlot(key)]?.[0];
  const masters = redis.nodes('master');
  const node = masters.find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (!node) throw new Error(`no connection to the master of slot ${keySlot(key)} (${owner ?? 'unknown'})`);
  return node;
}

/**
 * The cluster slot of a key, hash tags (`{...}`) included, as CLUSTER KEYSLOT computes
 * it: the same function ioredis's Cluster routed the write with, so the WAIT goes to
 * the node that took it.
 */
export function keySlot(key: string): number {
  return calculateSlot(key);
}
