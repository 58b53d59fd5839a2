import type { Command } from 'commander';

// Placeholder until its issue lands: the command exists and says so.
export function registerDlqCommands(program: Command): void {
  program
    .command('dlq')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new Error('dlq is not available yet');
    });
}
