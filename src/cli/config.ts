import type { Command } from 'commander';
import { stringify } from 'yaml';
import { configJsonSchema } from '../config/json-schema.js';
import { maskSecrets } from '../config/mask.js';
import { presentConfig } from '../config/present.js';
import { loadFromOptions, withConfigOption } from './options.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('validate or describe the configuration');
  withConfigOption(config.command('check'))
    .description('validate the config and print it resolved, with secrets masked')
    .option('--json', 'print JSON instead of YAML')
    .action((opts: { config?: string; json?: boolean }) => {
      const { file, config: resolved } = loadFromOptions(opts);
      // As a user writes it (10s, 1mb, no proxy-only keys on ack sources); loadable as is.
      const masked = presentConfig(maskSecrets(resolved) as typeof resolved);
      process.stdout.write(opts.json ? `${JSON.stringify(masked, null, 2)}\n` : stringify(masked));
      process.stderr.write(`hookgate: ${file} is valid\n`);
    });
  withConfigOption(config.command('schema'))
    .description("print the config's JSON Schema")
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
