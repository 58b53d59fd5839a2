/**
 * docker-compose.yml promises (deploy/README.md): Redis keeps data (AOF on a named
 * volume, noeviction for BullMQ), the admin port never leaves the host, workers
 * scale with --scale (so no fixed name or ports), and the `local` profile's pieces
 * agree with config/hookgate.compose.yaml. dclint (tools/lint) checks the file's
 * form; this checks what it means.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import { readCompose, serviceEnv } from './compose.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const compose = readCompose(join(repo, 'docker-compose.yml'));
const services = compose.services;

t.test('redis persists with AOF on a named volume', async (t) => {
  const redis = services.redis!;
  const cmd = redis.command!.join(' ');
  t.match(cmd, /--appendonly yes/);
  t.match(cmd, /--maxmemory-policy noeviction/, 'BullMQ needs noeviction');
  const data = (redis.volumes ?? []).find((v) => typeof v === 'string' && v.endsWith(':/data')) as string;
  t.ok(data, 'a volume at /data');
  t.ok(compose.volumes && data.split(':')[0]! in compose.volumes, 'it is a named volume');
  t.ok(redis.healthcheck?.test, 'health-checked');
});

t.test('gateway publishes the webhook port, admin on localhost only', async (t) => {
  const ports = services.gateway!.ports!;
  t.ok(
    ports.some((p) => /:8080$/.test(p)),
    'webhook port 8080',
  );
  const admin = ports.filter((p) => /:9090$/.test(p));
  t.equal(admin.length, 1);
  t.match(admin[0]!, /^127\.0\.0\.1:/, 'admin bound to 127.0.0.1');
  t.same(services.gateway!.command, ['serve']);
  t.equal(services.gateway!.depends_on?.redis?.condition, 'service_healthy');
});

t.test('workers can be scaled', async (t) => {
  const worker = services.worker!;
  t.same(worker.command, ['worker']);
  t.notOk(worker.container_name, 'no container_name (--scale needs distinct names)');
  t.notOk(worker.ports, 'no published ports (--scale would collide)');
  t.equal(worker.image, services.gateway!.image, 'same image as the gateway');
  t.ok(worker.init && services.gateway!.init, 'init: true forwards SIGTERM and reaps');
});

t.test('the local profile matches the compose config', async (t) => {
  for (const name of ['fauxqs', 'receiver'])
    t.same(services[name]!.profiles, ['local'], `${name} is local-only`);
  for (const name of ['redis', 'gateway', 'worker']) t.notOk(services[name]!.profiles, `${name} always runs`);

  // The config the containers load, with the environment compose gives them.
  const config = parseConfig(readFileSync(join(repo, 'config/hookgate.compose.yaml'), 'utf8'), {
    env: serviceEnv(services.worker!),
  });
  const init = JSON.parse(readFileSync(join(repo, 'examples/fauxqs-init.json'), 'utf8')) as {
    queues: { name: string }[];
  };
  const queue = config.destinations['demo-queue'];
  t.equal(queue?.type, 'sqs');
  if (queue?.type !== 'sqs') return;
  const queueName = queue.queueUrl.split('/').at(-1)!;
  t.ok(
    init.queues.some((q) => q.name === queueName),
    `fauxqs creates ${queueName}`,
  );
  // fauxqs looks queues up by their exact URL, which it builds as
  // http://sqs.<region>.<FAUXQS_HOST>:<port>/000000000000/<name>.
  const fauxqsEnv = serviceEnv(services.fauxqs!);
  t.equal(
    queue.queueUrl,
    `http://sqs.${queue.region}.${fauxqsEnv.FAUXQS_HOST}:4566/000000000000/${queueName}`,
    'the queue URL is the one fauxqs builds',
  );
  t.match(queue.endpoint ?? '', /^http:\/\/fauxqs:4566$/, 'the SQS endpoint is the fauxqs service');
  const receiverEnv = serviceEnv(services.receiver!);
  t.equal(receiverEnv.SQS_QUEUE_URL, queue.queueUrl, 'the receiver polls the queue hookgate writes to');

  const http = config.destinations.receiver;
  t.equal(http?.type, 'http');
  if (http?.type !== 'http') return;
  const url = new URL(http.url);
  t.equal(url.hostname, 'receiver', 'hookgate posts to the receiver service');
  t.equal(url.port, receiverEnv.PORT, 'on the port it listens on');
  t.equal(
    http.sign?.secret,
    receiverEnv.RECEIVER_SIGNING_SECRET,
    'the receiver checks the signing secret hookgate uses',
  );
});
