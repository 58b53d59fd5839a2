import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Envelope } from '../../src/record/envelope.js';
import { redisAnswers } from '../../src/cli/dev-redis.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { freePort } from '../helpers/redis-server.js';
import { startCli, writeConfig } from './run.js';

const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

t.test(
  'hookgate dev starts redis-server when none answers, then serves and delivers',
  { skip: !hasRedisServer && 'no redis-server on PATH' },
  async (t) => {
    const rx = await startHttpReceiver();
    t.teardown(() => rx.close());
    const port = await freePort();
    t.notOk(await redisAnswers('127.0.0.1', port), 'nothing on the port yet');
    const { file, dir, cleanup } = writeConfig({
      server: { host: '127.0.0.1', port: 0, shutdownTimeout: '3s' },
      redis: { url: `redis://127.0.0.1:${port}`, prefix: 'devtest' },
      logLevel: 'info',
      sources: { app: { routes: [{ to: 'rx' }] } },
      destinations: { rx: { type: 'http', url: rx.url } },
    });
    t.teardown(cleanup);
    const dev = await startCli(['dev', '--config', file], /hookgate dev started/, { cwd: dir });
    t.teardown(() => void dev.child.kill('SIGKILL'));
    const url = (JSON.parse(dev.readyLine) as { url: string }).url;

    const res = await fetch(`${url}/hooks/app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"hello":"dev"}',
    });
    t.equal(res.status, 204);
    const [got] = await rx.waitForRequests(1);
    const envelope = JSON.parse(got!.body.toString()) as Envelope;
    t.equal(envelope.id, res.headers.get('hookgate-event-id'));
    t.equal(envelope.requestPayload.body, '{"hello":"dev"}');

    dev.child.kill('SIGTERM');
    const exit = await dev.done;
    t.equal(exit.code, 0, exit.stderr);
    t.match(
      exit.stderr,
      `hookgate dev: no Redis answered; started redis-server on 127.0.0.1:${port} (data dir ./.hookgate/redis)`,
    );
    t.ok(existsSync(join(dir, '.hookgate', 'redis')), 'data dir under the working directory');
    t.notOk(await redisAnswers('127.0.0.1', port), 'the redis-server it started is stopped with it');
  },
);
