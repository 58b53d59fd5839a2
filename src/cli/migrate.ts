import type { Command } from 'commander';
import { drainLegacyLayout } from '../queue/legacy.js';
import { withConfigOption } from './options.js';
import { printJson, write } from './output.js';
import { withQueues } from './queues.js';

/**
 * `hookgate migrate`: brings Redis to this version's layout (workers also do it at
 * start): what an install of the previous layout left (events not yet routed,
 * deliveries waiting or retrying, dead letters) moves to the intake and the
 * destination queues.
 */
export function registerMigrateCommand(program: Command): void {
  withConfigOption(program.command('migrate'))
    .description(
      "move what the previous version's Redis layout left into this one (workers do it at start too)",
    )
    .option('--json', 'JSON for scripts')
    .action(async (options: { config?: string; json?: boolean }) => {
      const result = await withQueues(options, ({ config, queues }) => drainLegacyLayout(queues, config));
      if (options.json) return printJson(result);
      write(
        `moved ${result.events} events to route, ${result.deliveries} deliveries, ${result.deadLetters} dead letters`,
      );
    });
}
