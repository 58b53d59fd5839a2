// `npm run bench`: every bench/<name>/run.ts in turn, through tsx (no build needed);
// `npm run bench -- pipeline ingress`: only those.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new globalThis.URL('.', import.meta.url));
const only = process.argv.slice(2);
let failed = 0;
for (const name of readdirSync(dir).sort()) {
  const script = join(dir, name, 'run.ts');
  if (!existsSync(script) || (only.length && !only.includes(name))) continue;
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
