import type { Command } from 'commander';
import { startAdmin } from '../admin/server.js';
import { startIngress } from '../ingress/server.js';
import { createLogger } from '../log.js';
import { loadFromOptions, withConfigOption } from './options.js';
import { shutdownSignal } from './signals.js';

export function registerServeCommand(program: Command): void {
  withConfigOption(
    program
      .command('serve')
      .description('run the HTTP ingress (webhook port): verify, store durably, acknowledge'),
  ).action(async (options: { config?: string }) => {
    const { file, config } = loadFromOptions(options);
    const logger = createLogger(config.logLevel);
    // Listen for signals before listening on the port: a SIGTERM during start-up still drains.
    const signal = shutdownSignal();
    const ingress = await startIngress(config, logger);
    const admin = await startAdmin(config, { logger, metrics: ingress.metrics }).catch(
      async (err: unknown) => {
        await ingress.close();
        throw err;
      },
    );
    logger.info({ config: file }, 'hookgate serve started');
    const received = await signal;
    logger.info({ signal: received }, 'shutting down: draining in-flight requests');
    await Promise.all([ingress.close(), admin.close()]);
    logger.info('stopped');
    // Anything still holding the event loop (a stuck socket) must not keep the process alive.
    setTimeout(() => process.exit(), 1000).unref();
  });
}
