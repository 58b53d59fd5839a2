/**
 * Deployment settings, read from CDK context (`cdk.json` or `-c key=value`). Every
 * value has a default, so `cdk synth` runs with none given and without AWS
 * credentials: account and region are explicit placeholders, availability zones are
 * named (no lookup), and nothing is imported from an existing account.
 */
export interface ServiceSize {
  /** Fargate CPU units (256 = 0.25 vCPU). */
  cpu: number;
  memoryMiB: number;
  minTasks: number;
  maxTasks: number;
}

export interface HookgateProps {
  account: string;
  region: string;
  availabilityZones: string[];
  natGateways: number;
  /** A pushed image (its config baked in). Unset: built from the repo's Dockerfile at deploy. */
  imageUri?: string;
  /** Repo-relative config baked into the image when it is built here. */
  configFile: string;
  /** ACM certificate for HTTPS on 443 (HTTP on 80 redirects). Unset: HTTP on 80 only. */
  certificateArn?: string;
  /** A CIDR (VPN, bastion, Prometheus) allowed to reach the admin ports: gateway 9090, workers 9091. Unset: none. */
  adminAccessCidr?: string;
  /** Environment variable names read from the webhook-secrets secret (a JSON object). */
  secretEnv: string[];
  /** Use this existing Secrets Manager secret instead of creating one with placeholders. */
  webhookSecretsArn?: string;
  /** Plain (non-secret) environment for both services, e.g. queue URLs the config reads. */
  environment: Record<string, string>;
  /** The only resources the workers may write to. */
  sqsQueueArns: string[];
  snsTopicArns: string[];
  eventBusArns: string[];
  gateway: ServiceSize;
  worker: ServiceSize;
  /**
   * `replicas`: nodes of the one shard (a primary and replicas) without cluster mode.
   * `cluster` (context redisShards): ElastiCache cluster mode instead, `shards` node
   * groups of a primary and `replicasPerShard` replicas each; hookgate then uses
   * `redis.cluster` (the configuration endpoint), `partitions` hash tags and
   * `ackReplicas`.
   */
  redis: {
    nodeType: string;
    replicas: number;
    engineVersion: string;
    cluster?: { shards: number; replicasPerShard: number; partitions: number; ackReplicas: number };
  };
  /**
   * The optional PostgreSQL event log on RDS. Unset: no database; history
   * stays in Redis. Set: the baked config must have `eventLog` (configFile defaults to
   * hookgate.ecs.eventlog.yaml), and the tasks get PGHOST/PGPORT/PGUSER/PGDATABASE and
   * PGPASSWORD (a Secrets Manager secret) for it.
   */
  eventLog?: {
    instanceType: string;
    engineVersion: string;
    multiAz: boolean;
    storageGiB: number;
    maxStorageGiB: number;
  };
  logRetentionDays: number;
}

export const PLACEHOLDER_ACCOUNT = '123456789012';

type Context = (key: string) => unknown;

function str(ctx: Context, key: string): string | undefined {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return undefined;
  return String(v);
}

/** `-c key=a,b`, `-c key='["a","b"]'` or a JSON array in cdk.json. */
function list(ctx: Context, key: string, fallback: string[] = []): string[] {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return fallback;
  if (Array.isArray(v)) return v.map(String);
  const s = String(v).trim();
  if (s.startsWith('[')) return (JSON.parse(s) as unknown[]).map(String);
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function num(ctx: Context, key: string, fallback: number): number {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`context ${key}: "${String(v)}" is not a number`);
  return n;
}

/** `-c key=true`, `-c key=false` (strings on the command line) or a JSON boolean in cdk.json. */
function bool(ctx: Context, key: string, fallback: boolean): boolean {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new Error(`context ${key}: "${String(v)}" is not true or false`);
}

function record(ctx: Context, key: string): Record<string, string> {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return {};
  const obj = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj))
    throw new Error(`context ${key}: expected a JSON object`);
  return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, String(x)]));
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * `-c redisShards=3 -c redisReplicas=1`: ElastiCache cluster mode. Unset (or 0): one
 * shard, no cluster mode (redisNodes). Partitions default to 2 per shard, so a later
 * resharding still finds several slots to spread; ackReplicas to 1 (a failover loses no
 * acknowledged event).
 */
function redisCluster(ctx: Context): HookgateProps['redis']['cluster'] {
  const shards = num(ctx, 'redisShards', 0);
  if (shards === 0) return undefined;
  if (!Number.isInteger(shards) || shards < 1 || shards > 500)
    throw new Error(`context redisShards: ${shards} is not a shard count (1-500)`);
  const replicasPerShard = num(ctx, 'redisReplicas', 1);
  if (!Number.isInteger(replicasPerShard) || replicasPerShard < 1 || replicasPerShard > 5)
    throw new Error('context redisReplicas: 1 to 5 replicas per shard (multi-AZ failover needs one)');
  const partitions = num(ctx, 'redisPartitions', shards * 2);
  if (!Number.isInteger(partitions) || partitions < shards)
    throw new Error(`context redisPartitions: at least one per shard (${shards}), a whole number`);
  const ackReplicas = num(ctx, 'redisAckReplicas', 1);
  if (!Number.isInteger(ackReplicas) || ackReplicas < 0 || ackReplicas > replicasPerShard)
    throw new Error(`context redisAckReplicas: 0 to redisReplicas (${replicasPerShard})`);
  return { shards, replicasPerShard, partitions, ackReplicas };
}

export function propsFromContext(ctx: Context): HookgateProps {
  const region = str(ctx, 'region') ?? 'us-east-1';
  const secretEnv = list(ctx, 'secretEnv', ['STRIPE_WEBHOOK_SECRET']);
  for (const name of secretEnv) {
    if (!ENV_NAME.test(name))
      throw new Error(`context secretEnv: "${name}" is not an environment variable name`);
  }
  const eventLog = bool(ctx, 'eventLog', false);
  const props: HookgateProps = {
    account: str(ctx, 'account') ?? PLACEHOLDER_ACCOUNT,
    region,
    availabilityZones: list(ctx, 'availabilityZones', [`${region}a`, `${region}b`]),
    natGateways: num(ctx, 'natGateways', 1),
    imageUri: str(ctx, 'imageUri'),
    configFile:
      str(ctx, 'configFile') ??
      `deploy/aws-cdk/hookgate.ecs${redisCluster(ctx) ? '.cluster' : ''}${eventLog ? '.eventlog' : ''}.yaml`,
    certificateArn: str(ctx, 'certificateArn'),
    adminAccessCidr: str(ctx, 'adminAccessCidr'),
    secretEnv,
    webhookSecretsArn: str(ctx, 'webhookSecretsArn'),
    environment: record(ctx, 'environment'),
    sqsQueueArns: list(ctx, 'sqsQueueArns'),
    snsTopicArns: list(ctx, 'snsTopicArns'),
    eventBusArns: list(ctx, 'eventBusArns'),
    gateway: {
      cpu: num(ctx, 'gatewayCpu', 512),
      memoryMiB: num(ctx, 'gatewayMemoryMiB', 1024),
      minTasks: num(ctx, 'gatewayMinTasks', 2),
      maxTasks: num(ctx, 'gatewayMaxTasks', 6),
    },
    worker: {
      cpu: num(ctx, 'workerCpu', 512),
      memoryMiB: num(ctx, 'workerMemoryMiB', 1024),
      minTasks: num(ctx, 'workerMinTasks', 2),
      maxTasks: num(ctx, 'workerMaxTasks', 10),
    },
    redis: {
      nodeType: str(ctx, 'redisNodeType') ?? 'cache.t4g.small',
      replicas: num(ctx, 'redisNodes', 2),
      engineVersion: str(ctx, 'redisEngineVersion') ?? '7.1',
      cluster: redisCluster(ctx),
    },
    eventLog: eventLog
      ? {
          instanceType: str(ctx, 'eventLogInstanceType') ?? 't4g.small',
          engineVersion: str(ctx, 'eventLogEngineVersion') ?? '17',
          multiAz: bool(ctx, 'eventLogMultiAz', true),
          storageGiB: num(ctx, 'eventLogStorageGiB', 20),
          maxStorageGiB: num(ctx, 'eventLogMaxStorageGiB', 200),
        }
      : undefined,
    logRetentionDays: num(ctx, 'logRetentionDays', 30),
  };
  if (props.eventLog && props.eventLog.maxStorageGiB < props.eventLog.storageGiB)
    throw new Error('context eventLogMaxStorageGiB: below eventLogStorageGiB');
  if (props.availabilityZones.length < 2) throw new Error('context availabilityZones: name at least two');
  if (props.redis.replicas < 2)
    throw new Error('context redisNodes: at least 2 (a primary and a replica, multi-AZ)');
  for (const s of ['gateway', 'worker'] as const) {
    if (props[s].minTasks > props[s].maxTasks) throw new Error(`${s}: minTasks is above maxTasks`);
  }
  for (const k of Object.keys(props.environment)) {
    if (!ENV_NAME.test(k)) throw new Error(`context environment: "${k}" is not an environment variable name`);
    if (secretEnv.includes(k)) throw new Error(`context environment: ${k} is also in secretEnv`);
  }
  return props;
}
