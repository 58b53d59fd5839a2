import type { Command } from 'commander';
import { configPath, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';

/** Every command takes `--config <file>` (default: $HOOKGATE_CONFIG, else config/hookgate.yaml). */
export function withConfigOption(cmd: Command): Command {
  return cmd.option(
    '-c, --config <file>',
    'config file (default: $HOOKGATE_CONFIG, else config/hookgate.yaml)',
  );
}

export function loadFromOptions(options: { config?: string }): { file: string; config: Config } {
  const file = configPath(options.config);
  return { file, config: loadConfigFile(file) };
}
