import type { Command } from 'commander';
import {
  createEventHistory,
  DEFAULT_EVENT_LIMIT,
  MAX_EVENT_LIMIT,
  EVENT_STATUSES,
  UnknownDestinationError,
  type EventDetail,
  type EventQuery,
  type EventStatus,
} from '../events/index.js';
import { parseSince, parseUntil } from './dlq.js';
import { checkNames } from './names.js';
import { withConfigOption } from './options.js';
import { attemptsTable, printJson, table, write } from './output.js';
import { cursorUsage, moreHint, parseLimit } from './paging.js';
import { withQueues } from './queues.js';
import { UsageError } from './usage.js';

interface EventsListOptions {
  config?: string;
  source?: string;
  type?: string;
  status?: string;
  since?: string;
  until?: string;
  search?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

function showEvent(e: EventDetail): string {
  const lines = [
    `id:           ${e.id}`,
    `source:       ${e.source}`,
    `received at:  ${e.receivedAt}`,
    ...(e.type !== undefined ? [`type:         ${e.type}`] : []),
    ...(e.dedupeKey !== undefined ? [`dedupe key:   ${e.dedupeKey}`] : []),
    `status:       ${e.status}`,
    '',
    'deliveries:',
  ];
  if (!e.deliveries.length) lines.push(`  ${noDeliveries(e.status)}`);
  for (const d of e.deliveries) {
    lines.push(
      `- ${d.id}  ${d.destination}  ${d.status}${d.status === 'failed' ? ' (dead letter)' : ''}` +
        `${d.queueState && d.status === 'pending' ? ` (${d.queueState})` : ''}` +
        `${d.replayOf ? `  replay of ${d.replayOf}` : ''}`,
      attemptsTable(d.attempts),
    );
  }
  lines.push('', 'envelope:', JSON.stringify(e.envelope, null, 2));
  return lines.join('\n');
}

/** Why an event has no deliveries: only a routed event can have matched no route. */
function noDeliveries(status: EventDetail['status']): string {
  if (status === 'unrouted') return '(none: no route matched)';
  return '(none yet: not routed by a worker)';
}

export function registerEventsCommands(program: Command): void {
  const events = program.command('events').description('accepted events and their deliveries');

  withConfigOption(events.command('show'))
    .description('an accepted event: envelope and each delivery with its state and attempts')
    .argument('<eventId>')
    .option('--json', 'JSON for scripts')
    .action(async (eventId: string, options: { config?: string; json?: boolean }) => {
      const e = await withQueues(options, ({ config, queues, log }) =>
        createEventHistory(queues, config, log).get(eventId),
      );
      if (!e) {
        // A delivery id (what `dlq list` shows) names its event before the `~`.
        const hint = eventId.includes('~')
          ? `; ${eventId} looks like a delivery id: try events show ${eventId.split('~')[0]}`
          : '';
        throw new Error(`no event ${eventId} (unknown, or older than retention.events)${hint}`);
      }
      if (options.json) printJson(e);
      else write(showEvent(e));
    });

  withConfigOption(events.command('replay'))
    .description('deliver an event again (same event id): to its routes, or to one destination')
    .argument('<eventId>')
    .option('--destination <name>', 'only this destination')
    .option('--json', 'JSON for scripts')
    .action(async (eventId: string, options: { config?: string; destination?: string; json?: boolean }) => {
      const result = await withQueues(options, ({ config, queues, log }) =>
        createEventHistory(queues, config, log)
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
    .option('--type <type>', "only this provider event type (the record's requestContext.eventType)")
    .option('--status <status>', `only events ${EVENT_STATUSES.join(' | ')}`)
    .option('--since <time>', 'received at or after: ISO time, epoch ms, or a duration ago (30m, 2d)')
    .option('--until <time>', 'received before: ISO time, epoch ms, or a duration ago')
    .option('--search <text>', 'the event id, the dedupe key, or text in the body')
    .option('--limit <n>', `at most n (default ${DEFAULT_EVENT_LIMIT}, max ${MAX_EVENT_LIMIT})`)
    .option('--cursor <cursor>', 'the next page, as printed by the previous one')
    .option('--json', 'JSON for scripts')
    .action(async (options: EventsListOptions) => {
      if (options.status !== undefined && !(EVENT_STATUSES as readonly string[]).includes(options.status))
        throw new UsageError(`--status: one of ${EVENT_STATUSES.join(', ')}`);
      const since = parseSince(options.since);
      const until = parseUntil(options.until);
      const query: EventQuery = {
        limit: parseLimit(options.limit, MAX_EVENT_LIMIT) ?? DEFAULT_EVENT_LIMIT,
        ...(options.source ? { source: options.source } : {}),
        ...(options.type ? { type: options.type } : {}),
        ...(options.status ? { status: options.status as EventStatus } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(options.search ? { q: options.search } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      };
      const page = await withQueues(
        options,
        ({ config, queues, log }) =>
          createEventHistory(queues, config, log).list(query).catch(cursorUsage('events list')),
        (config) => checkNames(config, options),
      );
      if (options.json) return printJson(page);
      if (!page.items.length) return write('no events');
      write(
        table(
          ['ID', 'SOURCE', 'TYPE', 'RECEIVED AT', 'STATUS'],
          page.items.map((e) => [e.id, e.source, e.type ?? '', e.receivedAt, e.status]),
        ),
      );
      if (page.nextCursor) {
        process.stderr.write(
          moreHint('events list', page.nextCursor, [
            ['--config', options.config],
            ['--source', options.source],
            ['--type', options.type],
            ['--status', options.status],
            ['--since', options.since],
            ['--until', options.until],
            ['--search', options.search],
            ['--limit', options.limit],
          ]),
        );
      }
    });
}
