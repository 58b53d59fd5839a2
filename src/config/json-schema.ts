import { z } from 'zod';
import { configSchema } from './schema.js';

/** JSON Schema of the config file as written (input side: `5s`, `1mb` allowed), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'hookgate configuration',
  };
}
