import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, errors, HookgateError } from '../src/errors.js';

/**
 * One catalogue: every code an answer can carry is made in src/errors.ts (HookgateError
 * takes only an ErrorCode, so a code made elsewhere does not compile), and each one is
 * in a table users can read.
 */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args: Partial<Record<keyof typeof errors, unknown[]>> = {
  methodNotAllowed: [['POST']],
  payloadTooLarge: [1024],
  rateLimited: [1],
  badRequest: ['Bad.'],
  unknownDestination: ['nope'],
};
const made = Object.entries(errors).map(([name, make]) => {
  const e = (make as (...a: unknown[]) => HookgateError)(...(args[name as keyof typeof errors] ?? []));
  return { name, e };
});

t.test('the catalogue makes exactly the listed codes', async (t) => {
  for (const { name, e } of made) {
    t.ok(e instanceof HookgateError, `${name} is a HookgateError`);
    t.ok((ERROR_CODES as readonly string[]).includes(e.code), `${name}: ${e.code} is listed`);
    t.ok(e.statusCode >= 400 && e.statusCode < 600, `${name}: status ${e.statusCode}`);
    t.same(Object.keys(e.toJSON().error), ['code', 'message'], `${name}: the error format, nothing more`);
  }
  t.same(
    [...new Set(made.map(({ e }) => e.code))].sort(),
    [...ERROR_CODES].sort(),
    'no listed code is unused',
  );
});

t.test('every code is documented (README or docs/operations.md)', async (t) => {
  const docs = ['README.md', 'docs/operations.md'].map((f) => readFileSync(join(repo, f), 'utf8')).join('\n');
  for (const code of ERROR_CODES) t.ok(docs.includes(`\`${code}\``), code);
});

t.test('a code outside the catalogue does not compile', async (t) => {
  // Never called: `npm run build` type-checks it, and fails if the line compiles.
  const _madeUp = () =>
    // @ts-expect-error 'TEAPOT' is not an ErrorCode
    new HookgateError('TEAPOT', 'I am a teapot.', 418);
  t.pass('checked by tsc');
});
