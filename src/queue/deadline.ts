/**
 * Settles with `promise`, or rejects with `onTimeout()` after `ms`. The underlying
 * work is not cancelled (a Redis command already written may still land): callers
 * must treat a timeout as "outcome unknown", never as "did not happen".
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
