/** Resolves on the first SIGTERM or SIGINT; a second one exits at once. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      // An impatient operator (Ctrl-C twice) gets the process back; unfinished
      // deliveries are picked up again through stalled-job recovery, and a provider
      // retries a request that got no answer.
      const again = () => process.exit(1);
      process.once('SIGTERM', again);
      process.once('SIGINT', again);
      resolve(signal);
    };
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
  });
}
