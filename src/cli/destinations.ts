import type { Command } from 'commander';
import { destinationControls, listDestinations, type DestinationInfo } from '../queue/controls.js';
import { withConfigOption } from './options.js';
import { printJson, table, write } from './output.js';
import { withQueues } from './queues.js';
import { UsageError } from './usage.js';

function row(d: DestinationInfo): string[] {
  const last = d.lastError ? `${d.lastError.at} ${d.lastError.error}` : '';
  const state = d.state === 'suspended' && d.suspendedUntil ? `suspended until ${d.suspendedUntil}` : d.state;
  return [
    d.name,
    d.type,
    state,
    String(d.waiting),
    String(d.inFlight),
    String(d.delivered5m),
    String(d.failed5m),
    String(d.deadLetters),
    last,
  ];
}

/** `hookgate destinations list | pause <name> | resume <name>`. */
export function registerDestinationsCommands(program: Command): void {
  const destinations = program
    .command('destinations')
    .description('destination states (active, paused, suspended) and their controls');

  withConfigOption(destinations.command('list'))
    .description('each destination: state, deliveries waiting and in flight, the last 5 minutes, last error')
    .option('--json', 'JSON for scripts')
    .action(async (options: { config?: string; json?: boolean }) => {
      const items = await withQueues(options, ({ config, queues }) => listDestinations(queues, config));
      if (options.json) return printJson({ items });
      if (!items.length) return write('no destinations configured');
      write(
        table(
          [
            'NAME',
            'TYPE',
            'STATE',
            'WAITING',
            'IN FLIGHT',
            'DELIVERED 5M',
            'FAILED 5M',
            'DEAD LETTERS',
            'LAST ERROR',
          ],
          items.map(row),
        ),
      );
    });

  for (const verb of ['pause', 'resume'] as const) {
    withConfigOption(destinations.command(verb))
      .description(
        verb === 'pause'
          ? 'hold deliveries to a destination (no attempt spent, nothing dead-lettered) until resumed; every worker obeys, restarts included'
          : 'let a paused destination deliver again; what waited drains within its rate limit',
      )
      .argument('<name>')
      .option('--json', 'JSON for scripts')
      .action(async (name: string, options: { config?: string; json?: boolean }) => {
        const info = await withQueues(options, async ({ config, queues }) => {
          if (!Object.hasOwn(config.destinations, name))
            throw new UsageError(
              `${verb}: no destination "${name}" is configured (${Object.keys(config.destinations).join(', ') || 'none'})`,
            );
          const controls = destinationControls(queues);
          await (verb === 'pause' ? controls.pause(name) : controls.resume(name));
          return (await listDestinations(queues, config)).find((d) => d.name === name)!;
        });
        if (options.json) return printJson(info);
        write(`${name}: ${info.state} (${info.waiting} waiting)`);
      });
  }
}
