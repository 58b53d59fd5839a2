import type { Command } from 'commander';
import {
  createDeadLetterStore,
  MAX_LIMIT,
  type BulkResult,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterStore,
} from '../dead-letter/store.js';
import { parseTime as parseTimeParam } from '../query/params.js';
import { checkNames } from './names.js';
import { withConfigOption } from './options.js';
import { attemptsTable, printJson, table, write } from './output.js';
import { asUsage, cursorUsage, moreHint, parseLimit } from './paging.js';
import { createEventHistory } from '../events/index.js';
import { withQueues } from './queues.js';
import { UsageError } from './usage.js';

interface FilterOptions {
  config?: string;
  destination?: string;
  source?: string;
  since?: string;
  json?: boolean;
}

/** `--since`: read as the admin API's `since` (src/query/params.ts); refused: a usage error. */
export function parseSince(text: string | undefined, now = Date.now()): number | undefined {
  return asUsage(() => parseTimeParam('since', text, now));
}

/** `--until`: read as the admin API's `until`. */
export function parseUntil(text: string | undefined, now = Date.now()): number | undefined {
  return asUsage(() => parseTimeParam('until', text, now));
}

function filterOf(options: FilterOptions): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (options.destination) filter.destination = options.destination;
  if (options.source) filter.source = options.source;
  const since = parseSince(options.since);
  if (since !== undefined) filter.since = since;
  return filter;
}

/** `<id>…` or `--all [filters]`, never both, never neither. */
function targetOf(ids: string[], options: FilterOptions & { all?: boolean }, verb: string) {
  const filtered = options.destination || options.source || options.since;
  if (options.all && ids.length) throw new UsageError(`${verb}: give ids or --all, not both`);
  if (!options.all && !ids.length) throw new UsageError(`${verb}: give one or more ids, or --all [filters]`);
  if (!options.all && filtered) throw new UsageError(`${verb}: --destination/--source/--since go with --all`);
  return options.all ? filterOf(options) : ids;
}

function showDeadLetter(d: DeadLetter): string {
  return [
    `id:           ${d.id}`,
    `event:        ${d.eventId}`,
    `source:       ${d.source}`,
    `destination:  ${d.destination}`,
    `failed at:    ${d.failedAt}`,
    `attempts:     ${d.attemptsMade}`,
    `error:        ${d.error}`,
    ...(d.replayOf ? [`replay of:    ${d.replayOf}`] : []),
    '',
    'attempts:',
    attemptsTable(d.attempts),
    '',
    'envelope:',
    JSON.stringify(d.envelope, null, 2),
  ].join('\n');
}

/** Prints what a bulk operation did; ids that were not dead letters make it exit 1. */
function reportBulk(result: BulkResult, verb: string, json?: boolean): void {
  if (json) printJson({ [verb]: result.done, notFound: result.notFound });
  else {
    write(`${verb} ${result.done.length} dead letter${result.done.length === 1 ? '' : 's'}`);
    for (const id of result.done) write(`  ${id}`);
  }
  for (const id of result.notFound) process.stderr.write(`hookgate: not a dead letter: ${id}\n`);
  if (result.notFound.length) process.exitCode = 1;
}

async function store<T>(options: FilterOptions, fn: (s: DeadLetterStore) => Promise<T>): Promise<T> {
  return withQueues(
    options,
    ({ config, queues, log }) => fn(createDeadLetterStore(queues, config, log)),
    (config) => checkNames(config, options),
  );
}

const withFilters = (cmd: Command) =>
  cmd
    .option('--destination <name>', 'only this destination')
    .option('--source <name>', 'only this source')
    .option('--since <time>', 'failed at or after: ISO time, epoch ms or a duration ago (30m, 2d)');

export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('inspect, replay and purge dead letters');

  withFilters(withConfigOption(dlq.command('list')))
    .description('dead letters, newest first')
    .option('--limit <n>', `at most n (default 50, max ${MAX_LIMIT})`)
    .option('--cursor <cursor>', 'the next page, as printed by the previous one')
    .option('--json', 'JSON for scripts')
    .action(async (options: FilterOptions & { limit?: string; cursor?: string }) => {
      const query = {
        ...filterOf(options),
        limit: parseLimit(options.limit, MAX_LIMIT) ?? 50,
        cursor: options.cursor,
      };
      const page = await store(options, (s) => s.list(query).catch(cursorUsage('dlq list')));
      if (options.json) return printJson(page);
      if (!page.items.length) return write('no dead letters');
      write(
        table(
          ['ID', 'SOURCE', 'DESTINATION', 'FAILED AT', 'ATTEMPTS', 'ERROR'],
          page.items.map((d) => [d.id, d.source, d.destination, d.failedAt, String(d.attemptsMade), d.error]),
        ),
      );
      if (page.nextCursor) {
        process.stderr.write(
          moreHint('dlq list', page.nextCursor, [
            ['--config', options.config],
            ['--destination', options.destination],
            ['--source', options.source],
            ['--since', options.since],
            ['--limit', options.limit],
          ]),
        );
      }
    });

  withConfigOption(dlq.command('show'))
    .description('one dead letter: envelope, destination, attempts, every error')
    .argument('<id>')
    .option('--json', 'JSON for scripts')
    .action(async (id: string, options: { config?: string; json?: boolean }) => {
      const d = await withQueues(options, async ({ config, queues, log }) => {
        const dead = createDeadLetterStore(queues, config, log);
        const found = await dead.get(id);
        if (found || id.includes('~')) return found;
        // An event id or a provider's id: that event's dead letter, when it has exactly one.
        const event = await createEventHistory(queues, config, log).get(id);
        if (!event) return undefined;
        const letters = event.deliveries.filter((x) => x.status === 'failed').map((x) => x.id);
        if (letters.length === 1) return dead.get(letters[0]!);
        throw new Error(
          letters.length
            ? `event ${event.id} has ${letters.length} dead letters: ${letters.join(', ')}`
            : `event ${event.id} has no dead letter (a dead-letter id is <eventId>~<destination>, as dlq list shows)`,
        );
      });
      if (!d)
        throw new Error(
          `no dead letter ${id} (a dead-letter id is <eventId>~<destination>, as dlq list shows)`,
        );
      if (options.json) printJson(d);
      else write(showDeadLetter(d));
    });

  withFilters(withConfigOption(dlq.command('replay')))
    .description('deliver again; a dead letter leaves the store only once re-enqueued')
    .argument('[ids...]')
    .option('--all', 'every dead letter matching the filters')
    .option('--json', 'JSON for scripts')
    .action(async (ids: string[], options: FilterOptions & { all?: boolean }) => {
      const target = targetOf(ids, options, 'dlq replay');
      reportBulk(await store(options, (s) => s.replay(target)), 'replayed', options.json);
    });

  withFilters(withConfigOption(dlq.command('purge')))
    .description('delete dead letters for good')
    .argument('[ids...]')
    .option('--all', 'every dead letter matching the filters')
    .option('--yes', 'confirm: purged dead letters cannot be replayed')
    .option('--json', 'JSON for scripts')
    .action(async (ids: string[], options: FilterOptions & { all?: boolean; yes?: boolean }) => {
      const target = targetOf(ids, options, 'dlq purge');
      if (!options.yes) throw new UsageError('dlq purge deletes dead letters for good: add --yes to confirm');
      reportBulk(await store(options, (s) => s.purge(target)), 'purged', options.json);
    });
}
