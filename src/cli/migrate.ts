import type { Command } from 'commander';
import { drainLegacyLayout } from '../queue/legacy.js';
import { withConfigOption } from './options.js';
import { printJson, write } from './output.js';
import { withQueues } from './queues.js';

/**
 * `hookgate migrate`: creates or migrates the event log's schema (`serve`
 * and workers also do it at start, under an advisory lock, so any number may start
 * at once), and brings Redis to this version's layout: what an install of the
 * previous layout left (events not yet routed, deliveries waiting or retrying, dead
 * letters) moves to the intake and the destination queues.
 */
export function registerMigrateCommand(program: Command): void {
  withConfigOption(program.command('migrate'))
    .description(
      "create or migrate the event log schema (eventLog), and move what the previous version's Redis layout left into this one (done at start too)",
    )
    .option('--json', 'JSON for scripts')
    .action(async (options: { config?: string; json?: boolean }) => {
      const result = await withQueues(options, async ({ config, queues, log }) => {
        const schema = log ? await log.migrate() : undefined;
        const moved = await drainLegacyLayout(queues, config);
        return {
          ...moved,
          ...(schema && log
            ? { eventLog: { schema: log.schema, version: schema.version, applied: schema.applied } }
            : {}),
        };
      });
      if (options.json) return printJson(result);
      if (result.eventLog) {
        const { schema, version, applied } = result.eventLog;
        write(
          applied.length
            ? `event log schema "${schema}": migrated to version ${version} (applied ${applied.join(', ')})`
            : `event log schema "${schema}": up to date (version ${version})`,
        );
      }
      write(
        `moved ${result.events} events to route, ${result.deliveries} deliveries, ${result.deadLetters} dead letters`,
      );
    });
}
