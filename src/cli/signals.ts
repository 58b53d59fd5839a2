/**
 * Resolves on the first SIGTERM or SIGINT (or, under npm, when the launcher is gone);
 * a second signal exits at once.
 */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopWatching = () => {};
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      stopWatching();
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
    stopWatching = whenLauncherGone(() => first('SIGHUP'));
  });
}

/**
 * `npx hookgate` and npm scripts run hookgate under a `sh -c` that npm spawns, and npm
 * hands a SIGTERM to that shell only: the shell dies without passing it on, and this
 * process, re-parented, would run on with nobody to stop it. Under npm (which sets
 * `npm_lifecycle_event`) the parent going away therefore counts as the signal to stop.
 * Outside npm it does not: `nohup hookgate serve &` must outlive its shell.
 */
function whenLauncherGone(onGone: () => void, env: NodeJS.ProcessEnv = process.env): () => void {
  if (!env.npm_lifecycle_event) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, 250);
  timer.unref();
  return () => clearInterval(timer);
}
