import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { collect, MAIN, TSX, writeConfig } from './run.js';

/** Whether any process of the group still exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function groupGone(pgid: number, guardMs: number): Promise<boolean> {
  for (let waited = 0; waited < guardMs; waited += 100) {
    if (!groupAlive(pgid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !groupAlive(pgid);
}

t.test('SIGTERM to `npx hookgate serve` stops the node process too', async (t) => {
  const prefix = uniquePrefix('npx');
  t.teardown(() => dropPrefix(prefix));
  const { file, dir, cleanup } = writeConfig({
    server: { host: '127.0.0.1', port: 0, shutdownTimeout: '2s' },
    redis: { url: REDIS_URL, prefix },
    logLevel: 'info',
    sources: { app: {} },
  });
  t.teardown(cleanup);
  // The project's bin, as npm links it (node_modules/.bin/hookgate), running the sources:
  // npx then launches it the way it launches an installed hookgate (npm exec -> sh -c -> node).
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  const bin = join(dir, 'hookgate-bin');
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${MAIN}" "$@"\n`);
  chmodSync(bin, 0o755);
  symlinkSync(bin, join(dir, 'node_modules', '.bin', 'hookgate'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "npx-test", "private": true }\n');

  // Its own process group, so the test can see every process it leaves behind.
  const npx = spawn('npx', ['--offline', 'hookgate', 'serve', '--config', file], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = npx.pid!;
  t.teardown(() => {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  });
  const done = collect(npx);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    npx.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('hookgate serve started')) resolve();
    });
    void done.then((r) => reject(new Error(`npx exited early (${r.code}): ${r.stderr}`)));
  });

  // The npm process only, as a process manager or `kill <pid>` does. Not awaiting
  // `done`: a surviving child holds the pipes open.
  const exited = new Promise((resolve) => npx.once('exit', resolve));
  npx.kill('SIGTERM');
  await exited;
  t.ok(await groupGone(pgid, 15_000), 'no process of `npx hookgate` survives');
});
