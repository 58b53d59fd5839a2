import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger, prettyStream } from '../../src/log.js';
import { REDIS_URL, uniquePrefix, dropPrefix } from '../helpers/redis.js';
import { runCli, startCli, writeConfig } from './run.js';

/** A pretty logger writing into an array, as `hookgate dev` writes to its terminal. */
function prettyInto(color: boolean) {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('debug', {}, prettyStream(sink, color)), out };
}

t.test('pretty lines: time, level, message, then the fields as key=value', async (t) => {
  const { logger, out } = prettyInto(false);
  logger.child({ component: 'admin' }).info({ source: 'stripe', status: 204, note: 'two words' }, 'request');
  t.equal(out.length, 1);
  t.match(
    out[0],
    /^\d\d:\d\d:\d\d\.\d{3} INFO {2}request component=admin source=stripe status=204 note="two words"\n$/,
  );
  t.notMatch(out[0], /service=|pid=|hostname=|"level"/, 'what every line would repeat is left out');
});

t.test('pretty lines redact like JSON ones and show an error stack below its line', async (t) => {
  const { logger, out } = prettyInto(false);
  logger.warn(
    { headers: { 'stripe-signature': 't=1,v1=abc', 'x-other': 'kept' } },
    'signature verification failed',
  );
  logger.error({ err: new Error('boom') }, 'event not stored');
  t.match(out[0], /^\S+ WARN {2}signature verification failed headers=/);
  t.match(out[0], '[redacted]');
  t.notMatch(out[0], 'v1=abc', 'the signature does not reach the terminal');
  t.match(out[1], /^\S+ ERROR event not stored\n {4}Error: boom\n\s+at /);
});

t.test('colours only when asked (a terminal without NO_COLOR)', async (t) => {
  const plain = prettyInto(false);
  plain.logger.info('x');
  t.notMatch(plain.out[0], '\x1b[');
  const coloured = prettyInto(true);
  coloured.logger.info('x');
  t.match(coloured.out[0], '\x1b[32mINFO');
});

t.test('hookgate dev --log-format pretty; a bad format is a usage error', async (t) => {
  const prefix = uniquePrefix('devlog');
  t.teardown(() => dropPrefix(prefix));
  const { file, dir, cleanup } = writeConfig({
    server: { host: '127.0.0.1', port: 0, shutdownTimeout: '2s' },
    admin: { port: 0 },
    redis: { url: REDIS_URL, prefix },
    worker: { adminPort: 0 },
    sources: { app: {} },
  });
  t.teardown(cleanup);

  // Piped (as here) the default is JSON: dev.test.ts parses dev's lines from a pipe.
  const pretty = await startCli(['dev', '--config', file, '--log-format', 'pretty'], /hookgate dev started/, {
    cwd: dir,
  });
  t.teardown(() => void pretty.child.kill('SIGKILL'));
  t.match(
    pretty.readyLine,
    /^\d\d:\d\d:\d\d\.\d{3} INFO {2}hookgate dev started config=\S+ url=http:\/\/127\.0\.0\.1:\d+/,
  );
  pretty.child.kill('SIGTERM');
  const ended = await pretty.done;
  t.equal(ended.code, 0, ended.stderr);
  t.notOk(
    ended.stdout.split('\n').some((l) => l.startsWith('{')),
    'no JSON line in pretty mode',
  );

  const bad = await runCli(['dev', '--config', file, '--log-format', 'xml'], { cwd: dir });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--log-format.*xml.*(pretty|json)/);
});
