import type { Command } from 'commander';

// Placeholder until its issue lands: the command exists and says so.
export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new Error('dev is not available yet');
    });
}
