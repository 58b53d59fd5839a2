import type { Command } from 'commander';

// Placeholder until its issue lands: the command exists and says so.
export function registerEventsCommands(program: Command): void {
  program
    .command('events')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new Error('events is not available yet');
    });
}
