import type { Test } from 'tap';
import type { Config } from '../../src/config/schema.js';
import { REDIS_URL } from '../helpers/redis.js';
import { FAST_RETRY, harness, testConfig, type Harness } from '../worker/harness.js';
import { writeConfig } from './run.js';

/**
 * The same config twice: validated in-process (for the worker harness that fills
 * Redis) and written to a file for the CLI under test, on one fresh prefix with fast
 * retries. The file and the harness are cleaned up with the test.
 */
export function cliFixture(
  t: Test,
  raw: Record<string, unknown>,
  label: string,
): { config: Config; file: string; h: Harness } {
  const config = testConfig(raw, label);
  const { file, cleanup } = writeConfig({
    ...raw,
    redis: { url: REDIS_URL, prefix: config.redis.prefix },
    defaults: { retry: FAST_RETRY },
    logLevel: 'silent',
  });
  t.teardown(cleanup);
  return { config, file, h: harness(t, config) };
}
