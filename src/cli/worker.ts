import type { Command } from 'commander';
import { startAdmin } from '../admin/server.js';
import { createLogger } from '../log.js';
import { createMetrics } from '../metrics/registry.js';
import { startWorkerRuntime } from '../worker/runtime.js';
import { loadFromOptions, withConfigOption } from './options.js';

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      // An impatient operator (Ctrl-C twice) gets the process back; unfinished
      // deliveries are picked up again through stalled-job recovery.
      const again = () => process.exit(1);
      process.once('SIGTERM', again);
      process.once('SIGINT', again);
      resolve(signal);
    };
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
  });
}

export function registerWorkerCommand(program: Command): void {
  withConfigOption(
    program
      .command('worker')
      .description('consume the queues and deliver to destinations (run as many as you like)'),
  ).action(async (options: { config?: string }) => {
    const { file, config } = loadFromOptions(options);
    const logger = createLogger(config.logLevel);
    const signal = shutdownSignal();
    const metrics = createMetrics();
    const runtime = startWorkerRuntime(config, { logger, metrics });
    // This process's delivery metrics are scraped here, on its own port.
    const admin = await startAdmin(config, { logger, metrics, port: config.worker.adminPort }).catch(
      async (err: unknown) => {
        await runtime.close(config.server.shutdownTimeout);
        throw err;
      },
    );
    logger.info(
      {
        config: file,
        concurrency: config.worker.concurrency,
        destinations: Object.keys(config.destinations),
      },
      'hookgate worker started',
    );
    const received = await signal;
    logger.info(
      { signal: received, timeoutMs: config.server.shutdownTimeout },
      'shutting down: finishing in-flight deliveries',
    );
    await admin.close();
    const drained = await runtime.close(config.server.shutdownTimeout);
    logger.info({ drained }, 'stopped');
    setTimeout(() => process.exit(), 1000).unref();
  });
}
