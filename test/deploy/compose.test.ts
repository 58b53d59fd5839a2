/**
 * docker-compose.yml promises (deploy/README.md): Redis keeps data (AOF on a named
 * volume, noeviction for BullMQ), so does the event log's PostgreSQL, the admin port never leaves the host, workers
 * scale with --scale (so no fixed name or ports), plain `docker compose up` starts
 * everything config/hookgate.compose.yaml delivers to, and the demo services agree
 * with that config. dclint (tools/lint) checks the file's
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

t.test('postgres: the event log on a named volume, health-checked, not published', async (t) => {
  const pg = services.postgres!;
  t.match(pg.image ?? '', /^postgres:1[67]-alpine$/, 'the official image, a pinned major');
  const data = (pg.volumes ?? []).find(
    (v) => typeof v === 'string' && v.endsWith(':/var/lib/postgresql/data'),
  ) as string;
  t.ok(data, 'a volume at PGDATA');
  t.ok(compose.volumes && data.split(':')[0]! in compose.volumes, 'it is a named volume');
  t.same(pg.healthcheck?.test?.slice(0, 2), ['CMD', 'pg_isready']);
  t.match(pg.healthcheck!.test!.join(' '), /-h 127\.0\.0\.1/, 'over TCP, not the init-time socket');
  t.notOk(pg.ports, 'not published');
  t.notOk(pg.profiles, 'plain `up` starts it');
  const env = serviceEnv(pg);
  t.equal(env.POSTGRES_USER, 'hookgate');
  t.equal(env.POSTGRES_DB, 'hookgate');
  t.ok(env.POSTGRES_PASSWORD, 'a dev default password');
});

t.test('gateway and worker wait for postgres and get its URL', async (t) => {
  for (const shell of [{}, { POSTGRES_PASSWORD: 'Own1Password2' }]) {
    const svc = readCompose(join(repo, 'docker-compose.yml'), shell).services;
    const password = serviceEnv(svc.postgres!).POSTGRES_PASSWORD!;
    for (const name of ['gateway', 'worker']) {
      t.equal(svc[name]!.depends_on?.postgres?.condition, 'service_healthy', `${name} waits for it`);
      const url = new URL(serviceEnv(svc[name]!).DATABASE_URL!);
      t.equal(url.protocol, 'postgres:');
      t.equal(url.hostname, 'postgres', `${name}: the compose service`);
      t.equal(url.port, '5432');
      t.equal(url.username, 'hookgate');
      t.equal(decodeURIComponent(url.password), password, `${name}: the password postgres was given`);
      t.equal(url.pathname, '/hookgate');
    }
  }
});

t.test('the compose config logs events to that PostgreSQL', async (t) => {
  const config = composeConfig() as ReturnType<typeof composeConfig> & {
    eventLog?: { postgres?: { url?: string } };
  };
  t.equal(config.eventLog?.postgres?.url, serviceEnv(services.worker!).DATABASE_URL);
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

/** The config the containers load, with the environment compose gives them. */
function composeConfig(shell: Record<string, string> = {}) {
  // A set webhook secret, as a real deployment has: placeholders are not this test's concern.
  const svc = readCompose(join(repo, 'docker-compose.yml'), {
    STRIPE_WEBHOOK_SECRET: `whsec_${'k'.repeat(32)}`,
    ...shell,
  }).services;
  return parseConfig(readFileSync(join(repo, 'config/hookgate.compose.yaml'), 'utf8'), {
    env: serviceEnv(svc.worker!),
  });
}

t.test('plain `docker compose up` starts every service the compose config delivers to', async (t) => {
  // What `up` without --profile starts: the services with no profile.
  const started = new Set(Object.keys(services).filter((name) => !services[name]!.profiles?.length));
  const config = composeConfig();
  const hosts = Object.entries(config.destinations).flatMap(([name, d]) => {
    const urls = d.type === 'http' ? [d.url] : d.type === 'sqs' ? [d.queueUrl, d.endpoint ?? ''] : [];
    return urls.filter(Boolean).map((u) => [name, new URL(u).hostname] as const);
  });
  t.ok(hosts.length > 0, 'the compose config has destinations');
  for (const [name, host] of hosts) {
    // fauxqs answers for sqs.<region>.fauxqs in queue URLs; requests go to its endpoint.
    const service = host.endsWith('.fauxqs') ? 'fauxqs' : host;
    t.ok(started.has(service), `${name}: ${host} is a service plain \`up\` starts`);
  }
  for (const [name, s] of Object.entries(services)) {
    for (const dep of Object.keys(s.depends_on ?? {}))
      t.ok(!started.has(name) || started.has(dep), `${name} depends on ${dep}, which starts with it`);
  }
});

t.test("the worker's admin port: 9091 inside the compose network, with the token", async (t) => {
  const withToken = composeConfig({ HOOKGATE_ADMIN_TOKEN: 'a-long-random-admin-token' });
  t.equal(withToken.admin.host, '0.0.0.0', 'reachable from other containers (Prometheus)');
  t.equal(withToken.worker.adminPort, 9091);
  t.notOk(composeConfig().admin.token, 'no token: neither admin port is served');
  // What the file says about the worker must be what it does.
  const text = readFileSync(join(repo, 'docker-compose.yml'), 'utf8');
  const worker = text.slice(text.indexOf('\n  worker:'), text.indexOf('\nvolumes:'));
  t.notMatch(worker, /no HTTP port/i, 'it has one');
  t.match(worker, /9091/, 'and the comment names it');
});

t.test('the demo services match the compose config', async (t) => {
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
