import type { Command } from 'commander';

// Placeholder until its issue lands: the command exists and says so.
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('not available yet')
    .allowUnknownOption()
    .action(() => {
      throw new Error('worker is not available yet');
    });
}
