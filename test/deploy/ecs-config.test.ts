/**
 * deploy/aws-cdk/hookgate.ecs.yaml is baked into the ECS image (hookgate.ecs.eventlog.yaml
 * instead with `-c eventLog=true`); a schema error there would only show as tasks
 * crash-looping after `cdk deploy`. Validate both here with the real config loader and
 * the kind of values the task definition injects (the CDK tests check that every
 * variable they name is injected).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const text = readFileSync(join(repo, 'deploy/aws-cdk/hookgate.ecs.yaml'), 'utf8');
const eventLogText = readFileSync(join(repo, 'deploy/aws-cdk/hookgate.ecs.eventlog.yaml'), 'utf8');

const taskEnv = {
  REDIS_HOST: 'master.hookgate.abc123.use1.cache.amazonaws.com',
  REDIS_PORT: '6380',
  REDIS_AUTH_TOKEN: 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6',
  HOOKGATE_ADMIN_TOKEN: 'admin-token-from-secrets-manager',
  STRIPE_WEBHOOK_SECRET: 'whsec_test',
  PAYMENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/payments',
  AWS_REGION: 'us-east-1',
};

t.test('the ECS config is valid with the task environment', async (t) => {
  const config = parseConfig(text, { env: taskEnv });
  t.equal(
    config.redis.url,
    `rediss://:${taskEnv.REDIS_AUTH_TOKEN}@${taskEnv.REDIS_HOST}:6380`,
    'TLS to ElastiCache with the AUTH token',
  );
  t.equal(config.server.port, 8080);
  t.equal(config.admin.host, '0.0.0.0', 'admin reachable inside the VPC (security group decides)');
  t.equal(config.server.trustProxy, true, 'behind the ALB');
  t.ok(config.server.shutdownTimeout < 30_000, 'drains within the task stopTimeout (30s)');
});

t.test('the worker task loads it with its admin API on worker.adminPort', async (t) => {
  const config = parseConfig(text, { env: taskEnv });
  t.ok(config.admin.token, 'workers get the admin token, so their /metrics can be scraped');
  t.equal(config.admin.host, '0.0.0.0', 'reachable from the scraper, not only from inside the task');
  t.equal(config.worker.adminPort, 9091);
});

t.test('without the admin token the admin API is off, not started open', async (t) => {
  const { HOOKGATE_ADMIN_TOKEN: _admin, ...env } = taskEnv;
  t.notOk(parseConfig(text, { env }).admin.token);
});

t.test('a missing signing secret is refused, not started with an empty one', async (t) => {
  const { STRIPE_WEBHOOK_SECRET: _s, ...env } = taskEnv;
  t.throws(() => parseConfig(text, { env }), /sources\.stripe\.verify\.secrets\.0/);
});

// What the stack sets with -c eventLog=true: RDS's endpoint, PGPASSWORD from the
// generated secret (letters and digits only).
const pgEnv = {
  PGHOST: 'hookgate-eventlogdb.abc123.us-east-1.rds.amazonaws.com',
  PGPORT: '5432',
  PGUSER: 'hookgate',
  PGDATABASE: 'hookgate',
  PGPASSWORD: 'Xk3v9QpL2mN8rT5wY7zA1bC4dE6fG0hJ',
};

t.test('the event log config is the same file plus eventLog and a longer history', async (t) => {
  const base = parse(text) as Record<string, unknown>;
  const withLog = parse(eventLogText) as Record<string, unknown>;
  const { eventLog, retention, ...rest } = withLog;
  const { retention: _baseRetention, ...baseRest } = base;
  t.same(rest, baseRest, 'everything else as in hookgate.ecs.yaml');
  // Same order too, eventLog just before retention (a diff of the two files stays small).
  const order = Object.keys(base);
  order.splice(order.indexOf('retention'), 0, 'eventLog');
  t.same(Object.keys(withLog), order);
  t.ok(eventLog && retention);
});

t.test('the event log config is valid with the task environment', async (t) => {
  const config = parseConfig(eventLogText, { env: { ...taskEnv, ...pgEnv } }) as ReturnType<
    typeof parseConfig
  > & { eventLog?: { postgres?: { url?: string } } };
  t.equal(
    config.eventLog?.postgres?.url,
    `postgres://hookgate:${pgEnv.PGPASSWORD}@${pgEnv.PGHOST}:5432/hookgate?sslmode=require&uselibpqcompat=true`,
    'the URL composed from PG*, TLS required (encrypted as libpq does it: pg alone would verify against a CA Node lacks)',
  );
  t.equal(config.redis.url, `rediss://:${taskEnv.REDIS_AUTH_TOKEN}@${taskEnv.REDIS_HOST}:6380`);
  t.equal(config.retention.events, 30 * 86_400_000, 'history in PostgreSQL for 30 days');
});

// ElastiCache cluster mode (-c redisShards=N): the same configs with redis.cluster on
// the configuration endpoint, partitions and ackReplicas from the task environment.
const clusterText = readFileSync(join(repo, 'deploy/aws-cdk/hookgate.ecs.cluster.yaml'), 'utf8');
const clusterEventLogText = readFileSync(
  join(repo, 'deploy/aws-cdk/hookgate.ecs.cluster.eventlog.yaml'),
  'utf8',
);
const clusterEnv = {
  ...taskEnv,
  REDIS_HOST: 'clustercfg.hookgate.abc123.use1.cache.amazonaws.com',
  REDIS_PARTITIONS: '6',
  REDIS_ACK_REPLICAS: '1',
};

t.test('the cluster-mode configs are the plain ones with another redis block', async (t) => {
  for (const [plain, cluster] of [
    [text, clusterText],
    [eventLogText, clusterEventLogText],
  ] as const) {
    const { redis: plainRedis, ...rest } = parse(plain) as Record<string, unknown>;
    const { redis, ...clusterRest } = parse(cluster) as Record<string, unknown>;
    t.same(clusterRest, rest, 'everything but redis as in the plain file');
    t.same(Object.keys(parse(cluster) as object), Object.keys(parse(plain) as object), 'same order');
    t.same(redis, {
      cluster: { nodes: ['rediss://:${REDIS_AUTH_TOKEN}@${REDIS_HOST}:${REDIS_PORT}'] },
      prefix: (plainRedis as { prefix: string }).prefix,
      partitions: '${REDIS_PARTITIONS}',
      ackReplicas: '${REDIS_ACK_REPLICAS}',
    });
  }
});

// redis.partitions comes with the partitions work (issue #12); until this branch has
// it, the loader refuses the key and the check waits for it.
let partitionsKnown = true;
try {
  parseConfig('redis: { partitions: 2 }', { env: {} });
} catch {
  partitionsKnown = false;
}

t.test(
  'the cluster-mode configs are valid with the task environment',
  { skip: partitionsKnown ? false : 'redis.partitions is not in the config schema yet' },
  async (t) => {
    for (const [file, env] of [
      [clusterText, clusterEnv],
      [clusterEventLogText, { ...clusterEnv, ...pgEnv }],
    ] as const) {
      const config = parseConfig(file, { env });
      t.same(config.redis.cluster?.nodes, [
        `rediss://:${taskEnv.REDIS_AUTH_TOKEN}@${clusterEnv.REDIS_HOST}:6380`,
      ]);
      t.equal((config.redis as { partitions?: number }).partitions, 6);
      t.equal(config.redis.ackReplicas, 1);
    }
  },
);

t.test('redis.ackReplicas from the environment is a number', async (t) => {
  const config = parseConfig(text.replace('prefix: hookgate', 'prefix: hookgate\n  ackReplicas: ${N}'), {
    env: { ...taskEnv, N: '1' },
  });
  t.equal(config.redis.ackReplicas, 1);
});
