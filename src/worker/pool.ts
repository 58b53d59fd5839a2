import type { Destination } from '../destinations/types.js';

export type DestinationFactory = (name: string) => Destination;

/**
 * Destinations are created on first use and kept for the worker's life, so AWS
 * clients and HTTP agents are built once per worker, not once per delivery.
 */
export interface DestinationPool {
  get(name: string): Destination;
  close(): Promise<void>;
}

export function createDestinationPool(factory: DestinationFactory): DestinationPool {
  const made = new Map<string, Destination>();
  return {
    get(name) {
      let d = made.get(name);
      if (!d) {
        d = factory(name);
        made.set(name, d);
      }
      return d;
    },
    async close() {
      const all = [...made.values()];
      made.clear();
      await Promise.allSettled(all.map((d) => d.close()));
    },
  };
}
