/**
 * Settles with `promise`, or rejects with `onTimeout()` after `ms`. The underlying
 * work is not cancelled (a Redis command already written may still land): callers
 * must treat a timeout as "outcome unknown", never as "did not happen".
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  // One promise and one timer, settled by whichever comes first (this runs once per
  // ingress request; Promise.race + finally cost three more promises each time).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
