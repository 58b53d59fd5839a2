// cluster-key-slot ships no types: the one function ioredis's Cluster routes keys with.
declare module 'cluster-key-slot' {
  /** The cluster slot of a key (CRC16 of its hash tag, or of the key), 0–16383. */
  export default function calculateSlot(key: string | Buffer): number;
}
