#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerConfigCommands } from './config.js';
import { registerDevCommand } from './dev.js';
import { registerDestinationsCommands } from './destinations.js';
import { registerDlqCommands } from './dlq.js';
import { registerMigrateCommand } from './migrate.js';
import { registerEventsCommands } from './events.js';
import { registerServeCommand } from './serve.js';
import { registerWorkerCommand } from './worker.js';
import { UsageError } from './usage.js';

export function buildProgram(): Command {
  const program = new Command('hookgate')
    .description('Self-hosted webhook ingestion gateway')
    .version(VERSION)
    .option('--verbose', 'print stack traces with errors')
    // A usage error is one line, with where to look; subcommands inherit this.
    .configureOutput({
      outputError: (text, write) =>
        write(`hookgate: ${text.trim().replace(/^error: /, '')} (see hookgate --help)\n`),
    })
    .exitOverride();
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerDevCommand(program);
  registerConfigCommands(program);
  registerDestinationsCommands(program);
  registerDlqCommands(program);
  registerMigrateCommand(program);
  registerEventsCommands(program);
  return program;
}

/** Exit codes: 0 ok, 1 failure, 2 usage error; one clear line, a stack trace only with --verbose. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // `hookgate help` asks for help (0); `hookgate` or `hookgate config` without a
      // command gets the help on stderr and is a usage error (commander's exit code 1).
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`hookgate: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`hookgate: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(
      `hookgate: ${verbose ? ((err as Error).stack ?? String(err)) : ((err as Error).message ?? String(err))}\n`,
    );
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
