/**
 * deploy/aws-cdk/hookgate.ecs.yaml is baked into the ECS image; a schema error there
 * would only show as tasks crash-looping after `cdk deploy`. Validate it here with
 * the real config loader and the kind of values the task definition injects (the CDK
 * tests check that every variable it names is injected).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const text = readFileSync(join(repo, 'deploy/aws-cdk/hookgate.ecs.yaml'), 'utf8');

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
