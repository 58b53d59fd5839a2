import { Option, type Command } from 'commander';
import { startAdmin, type RunningAdmin } from '../admin/server.js';
import { startIngress } from '../ingress/server.js';
import { createLogger, LOG_FORMATS, prettyStream, type LogFormat } from '../log.js';
import { createMetrics } from '../metrics/registry.js';
import { startWorkerRuntime } from '../worker/runtime.js';
import { DEV_REDIS_DIR, ensureDevRedis } from './dev-redis.js';
import { loadFromOptions, withConfigOption } from './options.js';
import { shutdownSignal } from './signals.js';

export function registerDevCommand(program: Command): void {
  withConfigOption(
    program
      .command('dev')
      .description('serve + worker in one process; starts a local redis-server when none answers')
      .addOption(
        new Option(
          '--log-format <format>',
          'log lines: pretty (default on a terminal) or json (otherwise)',
        ).choices(LOG_FORMATS),
      ),
  ).action(async (options: { config?: string; logFormat?: LogFormat }) => {
    // A placeholder secret (`whsec_change_me`) would verify what anyone can sign: dev
    // runs on a random one instead and prints it, so the developer can sign with it.
    const { file, config } = loadFromOptions(options, 'generate', ({ path, variables, secret }) => {
      const why = variables.length ? `${variables.join(', ')} not set, ` : '';
      process.stderr.write(
        `hookgate dev: ${path} is a placeholder (${why}only dev accepts one); this run uses ${secret}\n`,
      );
    });
    // A person reads dev's output at a terminal; piped (to jq, to a file) it stays JSON.
    const format = options.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json');
    const logger = createLogger(
      config.logLevel,
      {},
      format === 'pretty' ? prettyStream(process.stdout) : undefined,
    );
    const signal = shutdownSignal();
    const redis = await ensureDevRedis(config);
    if (redis) {
      process.stderr.write(
        `hookgate dev: no Redis answered; started redis-server on 127.0.0.1:${redis.port} (data dir ./${DEV_REDIS_DIR})\n`,
      );
    }
    // One registry: ingress and delivery metrics side by side.
    const metrics = createMetrics();
    let ingress: Awaited<ReturnType<typeof startIngress>> | undefined;
    let worker: ReturnType<typeof startWorkerRuntime> | undefined;
    let admin: RunningAdmin | undefined;
    try {
      worker = startWorkerRuntime(config, { logger, metrics });
      ingress = await startIngress(config, logger, { metrics });
      admin = await startAdmin(config, { logger, metrics });
      logger.info({ config: file, url: ingress.url, admin: admin.url }, 'hookgate dev started');
      const received = await signal;
      logger.info({ signal: received }, 'shutting down');
    } finally {
      // Ingress first: nothing new arrives while the worker finishes what it holds.
      await Promise.all([ingress?.close(), admin?.close()]);
      await worker?.close(config.server.shutdownTimeout);
      await redis?.stop();
    }
    logger.info('stopped');
    setTimeout(() => process.exit(), 1000).unref();
  });
}
