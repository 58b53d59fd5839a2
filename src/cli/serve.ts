import type { Command } from 'commander';

// Placeholder until its issue lands: the command exists and says so.
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new Error('serve is not available yet');
    });
}
