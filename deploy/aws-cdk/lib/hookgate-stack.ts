import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { HookgateProps, ServiceSize } from './props';

/** The repository root: the Docker build context. */
export const REPO_ROOT = resolve(__dirname, '../../..');

export const WEBHOOK_PORT = 8080;
export const ADMIN_PORT = 9090;
/** `worker.adminPort` (hookgate.ecs.yaml): each worker's own admin API and `/metrics`. */
export const WORKER_ADMIN_PORT = 9091;
/** Not 6379: cdk-nag AwsSolutions-AEC5, and scanners looking for open Redis miss it. */
export const REDIS_PORT = 6380;
/** The event log's RDS PostgreSQL (context eventLog): the default port, see suppressJustified. */
export const POSTGRES_PORT = 5432;
/** The event log's database and its owner (the generated secret's username). */
export const EVENT_LOG_DB = 'hookgate';
/** Space and every ASCII punctuation mark: the password goes into a postgres:// URL unescaped. */
export const EVENT_LOG_PASSWORD_EXCLUDES = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** Repo paths the Dockerfile COPYs from the build context (test/ checks they match). */
export const IMAGE_INPUTS = [
  'Dockerfile',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'src',
  'config',
];

const HEALTHCHECK = [
  'CMD',
  'node',
  '-e',
  `fetch('http://127.0.0.1:${WEBHOOK_PORT}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
];

/**
 * hookgate on ECS/Fargate: an internet-facing ALB in front of the gateway tasks
 * (webhook port only), worker tasks with their own autoscaling, ElastiCache Redis
 * (TLS, AUTH, multi-AZ, noeviction), secrets from Secrets Manager, logs in CloudWatch;
 * with context eventLog, RDS PostgreSQL for the event log in isolated subnets.
 */
export class HookgateStack extends cdk.Stack {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly gateway: ecs.FargateService;
  readonly worker: ecs.FargateService;
  /** The event log database (context eventLog), else undefined. */
  readonly eventLogDb?: rds.DatabaseInstance;

  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: HookgateProps, stackProps: cdk.StackProps = {}) {
    super(scope, id, { ...stackProps, env: { account: props.account, region: props.region } });
    this.zones = props.availabilityZones;

    // ---- network ---------------------------------------------------------------------
    const vpc = new ec2.Vpc(this, 'Vpc', {
      // Named zones: no context lookup, so synth needs no credentials.
      availabilityZones: props.availabilityZones,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        // No route out at all, for the event log database. Last, so turning eventLog on
        // in an existing deployment adds subnets without renumbering the others.
        ...(props.eventLog
          ? [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }]
          : []),
      ],
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetentionDays as logs.RetentionDays }),
          ),
        },
      },
    });

    cdk.Validations.of(vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'Zones are named (context availabilityZones) so that synth needs no AWS account lookup; ' +
        'set them to the zones of your region.',
    });

    const albSg = new ec2.SecurityGroup(this, 'AlbSg', {
      vpc,
      description: 'hookgate ALB: HTTP(S) from webhook senders',
      allowAllOutbound: false,
    });
    const gatewaySg = new ec2.SecurityGroup(this, 'GatewaySg', {
      vpc,
      description: 'hookgate gateway tasks: webhook port from the ALB only',
    });
    const workerSg = new ec2.SecurityGroup(this, 'WorkerSg', {
      vpc,
      description: 'hookgate worker tasks: metrics port from adminAccessCidr only, if set',
    });
    const redisSg = new ec2.SecurityGroup(this, 'RedisSg', {
      vpc,
      description: 'hookgate Redis: from gateway and worker tasks',
      allowAllOutbound: false,
    });
    for (const [peer, name] of [
      [gatewaySg, 'gateway'],
      [workerSg, 'worker'],
    ] as const) {
      redisSg.addIngressRule(peer, ec2.Port.tcp(REDIS_PORT), `Redis from ${name} tasks`);
    }
    if (props.adminAccessCidr) {
      gatewaySg.addIngressRule(
        ec2.Peer.ipv4(props.adminAccessCidr),
        ec2.Port.tcp(ADMIN_PORT),
        'hookgate admin API from the operators network',
      );
      // Each worker's own /metrics (and admin API): same token, same source, nothing else.
      workerSg.addIngressRule(
        ec2.Peer.ipv4(props.adminAccessCidr),
        ec2.Port.tcp(WORKER_ADMIN_PORT),
        'hookgate worker metrics from the operators network',
      );
    }

    // ---- secrets ---------------------------------------------------------------------
    const redisAuth = new secretsmanager.Secret(this, 'RedisAuthToken', {
      description: 'hookgate: ElastiCache Redis AUTH token',
      // AUTH tokens allow printable ASCII except @ " /; letters and digits also need no
      // escaping inside the rediss:// URL the config builds.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    const adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      description: 'hookgate: bearer token of the admin API (HOOKGATE_ADMIN_TOKEN)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    const webhookSecrets = props.webhookSecretsArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'WebhookSecrets', props.webhookSecretsArn)
      : new secretsmanager.Secret(this, 'WebhookSecrets', {
          description: `hookgate: provider signing secrets, a JSON object with keys ${props.secretEnv.join(', ')}`,
          // Placeholders so the keys exist and tasks start; the operator puts the real
          // values (deploy/README.md), then forces a new deployment.
          generateSecretString: {
            secretStringTemplate: JSON.stringify(
              Object.fromEntries(props.secretEnv.map((k) => [k, 'replace-me'])),
            ),
            generateStringKey: 'unused',
            excludePunctuation: true,
          },
        });

    // ---- Redis -----------------------------------------------------------------------
    const subnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: 'hookgate Redis subnets',
      subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    const family = `redis${props.redis.engineVersion.split('.')[0]}`;
    const clusterMode = props.redis.cluster;
    const params = new elasticache.CfnParameterGroup(this, 'RedisParams', {
      cacheParameterGroupFamily: family,
      description: clusterMode
        ? 'hookgate: cluster mode, and BullMQ requires maxmemory-policy noeviction'
        : 'hookgate: BullMQ requires maxmemory-policy noeviction',
      // The default (volatile-lru) may evict queue keys under memory pressure: lost events.
      properties: {
        'maxmemory-policy': 'noeviction',
        ...(clusterMode && { 'cluster-enabled': 'yes' }),
      },
    });
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: 'hookgate queues and event store',
      engine: 'redis',
      engineVersion: props.redis.engineVersion,
      cacheNodeType: props.redis.nodeType,
      // Cluster mode: shards of a primary and replicas (at least one: failover, multi-AZ).
      ...(clusterMode
        ? { numNodeGroups: clusterMode.shards, replicasPerNodeGroup: clusterMode.replicasPerShard }
        : { numCacheClusters: props.redis.replicas }),
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      port: REDIS_PORT,
      cacheSubnetGroupName: subnets.ref,
      cacheParameterGroupName: params.ref,
      securityGroupIds: [redisSg.securityGroupId],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: redisAuth.secretValue.unsafeUnwrap(), // a {{resolve:secretsmanager}} reference, not the value
      snapshotRetentionLimit: 3,
    });

    // ---- event log (optional): RDS PostgreSQL -------------------------------------------
    const eventLog = props.eventLog
      ? this.eventLogDatabase(props, vpc, [
          [gatewaySg, 'gateway'],
          [workerSg, 'worker'],
        ])
      : undefined;
    this.eventLogDb = eventLog?.db;

    // ---- image, cluster, logs --------------------------------------------------------
    const image = this.image(props);
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const environment: Record<string, string> = {
      ...props.environment,
      AWS_REGION: props.region,
      // Cluster mode: the configuration endpoint, the seed of redis.cluster.nodes.
      ...(clusterMode
        ? {
            REDIS_HOST: redis.attrConfigurationEndPointAddress,
            REDIS_PORT: redis.attrConfigurationEndPointPort,
            REDIS_PARTITIONS: String(clusterMode.partitions),
            REDIS_ACK_REPLICAS: String(clusterMode.ackReplicas),
          }
        : {
            REDIS_HOST: redis.attrPrimaryEndPointAddress,
            REDIS_PORT: redis.attrPrimaryEndPointPort,
          }),
      // libpq's names, so the config composes eventLog.postgres.url from them
      // (hookgate.ecs.eventlog.yaml); the password is a secret, below.
      ...(eventLog && {
        PGHOST: eventLog.db.dbInstanceEndpointAddress,
        PGPORT: eventLog.db.dbInstanceEndpointPort,
        PGUSER: EVENT_LOG_DB,
        PGDATABASE: EVENT_LOG_DB,
      }),
    };
    const secrets: Record<string, ecs.Secret> = {
      REDIS_AUTH_TOKEN: ecs.Secret.fromSecretsManager(redisAuth),
      ...Object.fromEntries(
        props.secretEnv.map((k) => [k, ecs.Secret.fromSecretsManager(webhookSecrets, k)]),
      ),
      // Both services: the gateway's admin API on 9090, each worker's own /metrics on 9091.
      HOOKGATE_ADMIN_TOKEN: ecs.Secret.fromSecretsManager(adminToken),
      ...(eventLog && { PGPASSWORD: ecs.Secret.fromSecretsManager(eventLog.secret, 'password') }),
    };

    // ---- gateway ---------------------------------------------------------------------
    const gatewayTask = this.taskDefinition('Gateway', props.gateway);
    gatewayTask.addContainer('hookgate', {
      image,
      command: ['serve'],
      environment,
      secrets,
      portMappings: [
        { containerPort: WEBHOOK_PORT, name: 'webhook' },
        { containerPort: ADMIN_PORT, name: 'admin' },
      ],
      healthCheck: {
        command: HEALTHCHECK,
        interval: cdk.Duration.seconds(15),
        timeout: cdk.Duration.seconds(5),
        retries: 3,
        startPeriod: cdk.Duration.seconds(30),
      },
      ...this.containerCommon('gateway', props),
    });
    this.gateway = new ecs.FargateService(this, 'GatewayService', {
      cluster,
      taskDefinition: gatewayTask,
      desiredCount: props.gateway.minTasks,
      securityGroups: [gatewaySg],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      healthCheckGracePeriod: cdk.Duration.seconds(60),
    });

    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      securityGroup: albSg,
      dropInvalidHeaderFields: true,
    });
    const accessLogs = new s3.Bucket(this, 'AlbAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // the only encryption ALB log delivery supports
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: cdk.Duration.days(90) }],
    });
    this.alb.logAccessLogs(accessLogs, 'alb');

    const listener = props.certificateArn
      ? this.alb.addListener('Https', {
          port: 443,
          certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          open: true,
        })
      : this.alb.addListener('Http', { port: 80, open: true });
    if (props.certificateArn) this.alb.addRedirect({ sourcePort: 80, targetPort: 443 });
    // Only the webhook port is a target; the admin port is never behind the ALB.
    const targetGroup = listener.addTargets('Gateway', {
      port: WEBHOOK_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.gateway.loadBalancerTarget({ containerName: 'hookgate', containerPort: WEBHOOK_PORT })],
      healthCheck: {
        // Liveness, not /readyz: with Redis away every task would fail it and ECS would
        // replace them all in a loop; a live gateway answers 503 + retry-after instead.
        path: '/healthz',
        interval: cdk.Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      // Shorter than the task's stopTimeout: the ALB stops sending before SIGTERM.
      deregistrationDelay: cdk.Duration.seconds(20),
    });
    const gatewayScaling = this.gateway.autoScaleTaskCount({
      minCapacity: props.gateway.minTasks,
      maxCapacity: props.gateway.maxTasks,
    });
    gatewayScaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    gatewayScaling.scaleOnRequestCount('Requests', { requestsPerTarget: 3000, targetGroup });

    // ---- worker ----------------------------------------------------------------------
    const workerTask = this.taskDefinition('Worker', props.worker);
    workerTask.addContainer('hookgate', {
      image,
      command: ['worker'],
      environment,
      secrets,
      // The admin port only, for scraping; never behind the ALB, reachable from
      // adminAccessCidr if set. No healthCheck: a worker that fails exits, and ECS replaces it.
      portMappings: [{ containerPort: WORKER_ADMIN_PORT, name: 'admin' }],
      ...this.containerCommon('worker', props),
    });
    this.worker = new ecs.FargateService(this, 'WorkerService', {
      cluster,
      taskDefinition: workerTask,
      desiredCount: props.worker.minTasks,
      securityGroups: [workerSg],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 50,
    });
    const workerScaling = this.worker.autoScaleTaskCount({
      minCapacity: props.worker.minTasks,
      maxCapacity: props.worker.maxTasks,
    });
    workerScaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });

    // Deliveries are the only AWS calls hookgate makes, and only workers make them.
    const grant = (actions: string[], resources: string[]) => {
      if (resources.length)
        workerTask.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    };
    grant(['sqs:SendMessage'], props.sqsQueueArns);
    grant(['sns:Publish'], props.snsTopicArns);
    grant(['events:PutEvents'], props.eventBusArns);

    // ---- outputs ---------------------------------------------------------------------
    const scheme = props.certificateArn ? 'https' : 'http';
    new cdk.CfnOutput(this, 'WebhookBaseUrl', {
      value: `${scheme}://${this.alb.loadBalancerDnsName}/hooks/`,
      description: 'Point providers at <this>/<source> (or your DNS name for the ALB)',
    });
    new cdk.CfnOutput(this, 'WebhookSecretsArn', { value: webhookSecrets.secretArn });
    new cdk.CfnOutput(this, 'AdminTokenArn', { value: adminToken.secretArn });
    new cdk.CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    if (eventLog) {
      new cdk.CfnOutput(this, 'EventLogEndpoint', {
        value: `${eventLog.db.dbInstanceEndpointAddress}:${eventLog.db.dbInstanceEndpointPort}`,
      });
      new cdk.CfnOutput(this, 'EventLogSecretArn', {
        value: eventLog.secret.secretArn,
        description: 'username, password, host, port, dbname of the event log database',
      });
    }

    this.suppressJustified(
      [gatewayTask, workerTask],
      [accessLogs, albSg],
      [redisAuth, adminToken, webhookSecrets],
    );
  }

  /**
   * The event log database: encrypted, in the isolated subnets, reachable on 5432 from
   * the task security groups only, its owner's password generated into Secrets Manager.
   */
  private eventLogDatabase(
    props: HookgateProps,
    vpc: ec2.Vpc,
    clients: [ec2.SecurityGroup, string][],
  ): { db: rds.DatabaseInstance; secret: secretsmanager.ISecret } {
    const opts = props.eventLog!;
    const sg = new ec2.SecurityGroup(this, 'EventLogDbSg', {
      vpc,
      description: 'hookgate event log PostgreSQL: from gateway and worker tasks',
      allowAllOutbound: false,
    });
    for (const [peer, name] of clients)
      sg.addIngressRule(peer, ec2.Port.tcp(POSTGRES_PORT), `PostgreSQL from ${name} tasks`);

    const major = opts.engineVersion.split('.')[0]!;
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: rds.PostgresEngineVersion.of(opts.engineVersion, major),
    });
    const secret = new rds.DatabaseSecret(this, 'EventLogDbSecret', {
      username: EVENT_LOG_DB,
      // The config puts the password into a postgres:// URL unescaped: letters and digits only.
      excludeCharacters: EVENT_LOG_PASSWORD_EXCLUDES,
    });
    const db = new rds.DatabaseInstance(this, 'EventLogDb', {
      engine,
      instanceType: new ec2.InstanceType(opts.instanceType),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [sg],
      port: POSTGRES_PORT,
      credentials: rds.Credentials.fromSecret(secret),
      databaseName: EVENT_LOG_DB,
      multiAz: opts.multiAz,
      storageType: rds.StorageType.GP3,
      allocatedStorage: opts.storageGiB,
      maxAllocatedStorage: opts.maxStorageGiB,
      storageEncrypted: true,
      // TLS only (already the default from PostgreSQL 15 on RDS; said here for every version).
      parameterGroup: new rds.ParameterGroup(this, 'EventLogDbParams', {
        engine,
        description: 'hookgate event log: TLS required',
        parameters: { 'rds.force_ssl': '1' },
      }),
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      backupRetention: cdk.Duration.days(7),
      deleteAutomatedBackups: false,
      deletionProtection: true,
      removalPolicy: cdk.RemovalPolicy.SNAPSHOT,
      copyTagsToSnapshot: true,
      // The free tier: 7 days of Performance Insights (Database Insights standard mode).
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
    });
    cdk.Validations.of(db).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'The default port 5432: the instance is in isolated subnets and its security group admits only the ' +
        'gateway and worker task security groups, so another port would hide nothing.',
    });
    if (!opts.multiAz) {
      cdk.Validations.of(db).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason:
          'Single-AZ chosen with context eventLogMultiAz=false. Ingress and delivery never wait for the event ' +
          'log: while it is down they go on, and the log catches up when it is back.',
      });
    }
    cdk.Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'ECS injects PGPASSWORD at task start only: a rotation would lock running tasks out of the event log ' +
        'until they are replaced. Rotate by changing the password and forcing a new deployment (deploy/README.md).',
    });
    return { db, secret };
  }

  /** The configured zones: without this, an explicit env makes CDK look them up (credentials). */
  override get availabilityZones(): string[] {
    return this.zones;
  }

  private image(props: HookgateProps): ecs.ContainerImage {
    if (props.imageUri) {
      const ecrUri = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)(?::([^@]+))?$/.exec(
        props.imageUri,
      );
      if (ecrUri) {
        // An ECR image: reference the repository so the execution role gets pull rights.
        const repo = ecr.Repository.fromRepositoryAttributes(this, 'ImageRepo', {
          repositoryName: ecrUri[3]!,
          repositoryArn: `arn:aws:ecr:${ecrUri[2]}:${ecrUri[1]}:repository/${ecrUri[3]}`,
        });
        return ecs.ContainerImage.fromEcrRepository(repo, ecrUri[4] ?? 'latest');
      }
      return ecs.ContainerImage.fromRegistry(props.imageUri);
    }
    if (!existsSync(join(REPO_ROOT, props.configFile))) {
      throw new Error(
        `context configFile: ${props.configFile} does not exist (a path relative to the repo root)`,
      );
    }
    // The database and the config that uses it go together: an event log the config never
    // names costs money for nothing; a config naming PG* variables no task sets fails.
    const hasEventLog = /^eventLog:/m.test(readFileSync(join(REPO_ROOT, props.configFile), 'utf8'));
    if (props.eventLog && !hasEventLog) {
      throw new Error(
        `context eventLog: the baked config ${props.configFile} has no eventLog section ` +
          '(start from deploy/aws-cdk/hookgate.ecs.eventlog.yaml)',
      );
    }
    // Likewise cluster mode and a config with redis.cluster.
    const hasCluster = /^\s+cluster:/m.test(readFileSync(join(REPO_ROOT, props.configFile), 'utf8'));
    if (Boolean(props.redis.cluster) !== hasCluster) {
      throw new Error(
        props.redis.cluster
          ? `context redisShards: the baked config ${props.configFile} has no redis.cluster ` +
              '(start from deploy/aws-cdk/hookgate.ecs.cluster.yaml)'
          : `context configFile: ${props.configFile} has redis.cluster; deploy it with -c redisShards=N`,
      );
    }
    if (!props.eventLog && hasEventLog) {
      throw new Error(
        `context configFile: ${props.configFile} has an eventLog section; deploy it with -c eventLog=true ` +
          '(the stack then creates the database and sets PGHOST, PGPASSWORD, ...)',
      );
    }
    // The repo's own Dockerfile, runtime stage, with the deployment's config baked in
    // (Fargate has no host files to mount). Built and pushed by `cdk deploy`.
    return ecs.ContainerImage.fromAsset(REPO_ROOT, {
      target: 'runtime',
      buildArgs: { HOOKGATE_CONFIG_SRC: props.configFile },
      platform: Platform.LINUX_AMD64,
      // Only what the Dockerfile copies (on top of .dockerignore): the asset hash, and so
      // the image tag and a rolling deployment, changes only when the image would.
      exclude: ['*', ...IMAGE_INPUTS.map((p) => `!${p}`), `!${props.configFile}`],
    });
  }

  private taskDefinition(id: string, size: ServiceSize): ecs.FargateTaskDefinition {
    return new ecs.FargateTaskDefinition(this, `${id}Task`, {
      cpu: size.cpu,
      memoryLimitMiB: size.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
  }

  private containerCommon(name: string, props: HookgateProps): Partial<ecs.ContainerDefinitionOptions> {
    return {
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: name,
        logGroup: new logs.LogGroup(this, `${name[0]!.toUpperCase()}${name.slice(1)}Logs`, {
          retention: props.logRetentionDays as logs.RetentionDays,
        }),
      }),
      // Longer than hookgate's shutdownTimeout (hookgate.ecs.yaml: 20s): SIGTERM drains,
      // SIGKILL only after.
      stopTimeout: cdk.Duration.seconds(30),
      // tini-style init as PID 1 (signals, zombies), like `init: true` in compose.
      linuxParameters: new ecs.LinuxParameters(this, `${name}Linux`, { initProcessEnabled: true }),
      readonlyRootFilesystem: true,
    };
  }

  /** cdk-nag findings that are deliberate here, each acknowledged with its reason. */
  private suppressJustified(
    tasks: ecs.FargateTaskDefinition[],
    [accessLogs, albSg]: [s3.Bucket, ec2.SecurityGroup],
    secrets: secretsmanager.ISecret[],
  ): void {
    for (const task of tasks) {
      cdk.Validations.of(task).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason:
          'Only non-secret settings are plain environment variables (Redis host/port, region, queue URLs); ' +
          'every secret is injected from Secrets Manager through `secrets`.',
      });
      cdk.Validations.of(task.obtainExecutionRole()).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken has no resource-level permissions (AWS requires "*"); ' +
          'the pull and log actions are scoped to the repository and log group by CDK.',
      });
    }
    cdk.Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket holds the ALB access logs; logging the log bucket itself would only add a second bucket.',
    });
    cdk.Validations.of(albSg).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'Webhook senders (Stripe, Slack, GitHub, Shopify…) call from the internet and from address ranges ' +
        'that change; signatures, not source IPs, authenticate them.',
    });
    for (const secret of secrets) {
      if (!(secret instanceof secretsmanager.Secret)) continue;
      cdk.Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating these needs a coordinated change elsewhere (the provider dashboard for signing secrets, ' +
          'ElastiCache ModifyReplicationGroup for the AUTH token); hookgate accepts several secrets per source ' +
          'so an operator rotates without downtime (deploy/README.md).',
      });
    }
  }
}
