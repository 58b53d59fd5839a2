import type { Command } from 'commander';
import { configPath, loadConfigFile, type LoadOptions, type SecretsMode } from '../config/load.js';
import type { Config } from '../config/schema.js';

/** Every command takes `--config <file>` (default: $HOOKGATE_CONFIG, else config/hookgate.yaml). */
export function withConfigOption(cmd: Command): Command {
  return cmd.option(
    '-c, --config <file>',
    'config file (default: $HOOKGATE_CONFIG, else config/hookgate.yaml)',
  );
}

/**
 * The config a command runs with. `secrets` (see SecretsMode): `require` for what
 * serves or delivers, `unchecked` for commands that only read and re-enqueue.
 */
export function loadFromOptions(
  options: { config?: string },
  secrets: SecretsMode = 'require',
  onGenerated?: LoadOptions['onGenerated'],
): { file: string; config: Config } {
  const file = configPath(options.config);
  return {
    file,
    config: loadConfigFile(file, { env: process.env }, { secrets, ...(onGenerated ? { onGenerated } : {}) }),
  };
}
