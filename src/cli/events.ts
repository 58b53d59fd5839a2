import type { Command } from 'commander';
import { DEFAULT_EVENT_LIMIT, MAX_EVENT_LIMIT } from '../events/pages.js';
import { createEventStore, UnknownDestinationError, type EventDetail } from '../events/store.js';
import { checkNames } from './names.js';
import { withConfigOption } from './options.js';
import { attemptsTable, printJson, table, write } from './output.js';
import { cursorUsage, moreHint, parseLimit } from './paging.js';
import { withQueues } from './queues.js';
import { UsageError } from './usage.js';

interface EventsListOptions {
  config?: string;
  source?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

function showEvent(e: EventDetail): string {
  const lines = [
    `id:           ${e.id}`,
    `source:       ${e.source}`,
    `received at:  ${e.receivedAt}`,
    `state:        ${e.state}`,
    '',
    'deliveries:',
  ];
  if (!e.deliveries.length) lines.push(`  ${noDeliveries(e.state)}`);
  for (const d of e.deliveries) {
    lines.push(
      `- ${d.id}  ${d.destination}  ${d.state}${d.state === 'failed' ? ' (dead letter)' : ''}` +
        `${d.replayOf ? `  replay of ${d.replayOf}` : ''}`,
      attemptsTable(d.attempts),
    );
  }
  lines.push('', 'envelope:', JSON.stringify(e.envelope, null, 2));
  return lines.join('\n');
}

/** Why an event has no deliveries: only a routed event can have matched no route. */
function noDeliveries(state: EventDetail['state']): string {
  if (state === 'completed') return '(none: no route matched)';
  if (state === 'failed') return '(none: routing failed)';
  return '(none yet: not routed by a worker)';
}

export function registerEventsCommands(program: Command): void {
  const events = program.command('events').description('accepted events and their deliveries');

  withConfigOption(events.command('show'))
    .description('an accepted event: envelope and each delivery with its state and attempts')
    .argument('<eventId>')
    .option('--json', 'JSON for scripts')
    .action(async (eventId: string, options: { config?: string; json?: boolean }) => {
      const e = await withQueues(options, ({ config, queues }) =>
        createEventStore(queues, config).get(eventId),
      );
      if (!e) throw new Error(`no event ${eventId} (unknown, or older than retention.events)`);
      if (options.json) printJson(e);
      else write(showEvent(e));
    });

  withConfigOption(events.command('replay'))
    .description('deliver an event again (same event id): to its routes, or to one destination')
    .argument('<eventId>')
    .option('--destination <name>', 'only this destination')
    .option('--json', 'JSON for scripts')
    .action(async (eventId: string, options: { config?: string; destination?: string; json?: boolean }) => {
      const result = await withQueues(options, ({ config, queues }) =>
        createEventStore(queues, config)
          .replay(eventId, options.destination ? { destination: options.destination } : {})
          .catch((err: unknown) => {
            if (err instanceof UnknownDestinationError) throw new UsageError(`--destination: ${err.message}`);
            throw err;
          }),
      );
      if (options.json) return printJson(result);
      if (!result.deliveries.length) return write(`event ${eventId}: no route matches, nothing replayed`);
      write(`replaying event ${eventId}:`);
      for (const id of result.deliveries) write(`  ${id}`);
    });

  withConfigOption(events.command('list'))
    .description('recent events, newest first')
    .option('--source <name>', 'only this source')
    .option('--limit <n>', `at most n (default ${DEFAULT_EVENT_LIMIT}, max ${MAX_EVENT_LIMIT})`)
    .option('--cursor <cursor>', 'the next page, as printed by the previous one')
    .option('--json', 'JSON for scripts')
    .action(async (options: EventsListOptions) => {
      const query = {
        limit: parseLimit(options.limit, MAX_EVENT_LIMIT) ?? DEFAULT_EVENT_LIMIT,
        ...(options.source ? { source: options.source } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      };
      const page = await withQueues(
        options,
        ({ config, queues }) =>
          createEventStore(queues, config).list(query).catch(cursorUsage('events list')),
        (config) => checkNames(config, options),
      );
      if (options.json) return printJson(page);
      if (!page.items.length) return write('no events');
      write(
        table(
          ['ID', 'SOURCE', 'RECEIVED AT', 'STATE'],
          page.items.map((e) => [e.id, e.source, e.receivedAt, e.state]),
        ),
      );
      if (page.nextCursor) {
        process.stderr.write(
          moreHint('events list', page.nextCursor, [
            ['--config', options.config],
            ['--source', options.source],
            ['--limit', options.limit],
          ]),
        );
      }
    });
}
