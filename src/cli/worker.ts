import type { Command } from 'commander';
import { startAdmin } from '../admin/server.js';
import { createLogger } from '../log.js';
import { createMetrics } from '../metrics/registry.js';
import { startWorkerRuntime } from '../worker/runtime.js';
import { loadFromOptions, withConfigOption } from './options.js';
import { shutdownSignal } from './signals.js';

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
