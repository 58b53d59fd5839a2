/**
 * The ECS/Fargate stack, synthesized offline with cdk-nag's AwsSolutions pack (as
 * `cdk synth` does) and checked with aws-cdk-lib/assertions against what
 * deploy/README.md promises: webhook port public, admin ports (gateway 9090, worker
 * metrics 9091) not behind the ALB and open only to adminAccessCidr, workers scale on their own, Redis encrypted in transit with AUTH, secrets only from
 * Secrets Manager, task roles limited to the configured ARNs, logs in CloudWatch; with
 * context eventLog, an encrypted RDS PostgreSQL reachable from the task security groups
 * only, its password in Secrets Manager; without it, no database at all.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ADMIN_PORT,
  EVENT_LOG_DB,
  HookgateStack,
  POSTGRES_PORT,
  REDIS_PORT,
  REPO_ROOT,
  WEBHOOK_PORT,
  WORKER_ADMIN_PORT,
} from '../lib/hookgate-stack';
import { propsFromContext } from '../lib/props';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};
const outdirs: string[] = [];
after(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An app like bin/hookgate.ts builds: cdk.json context (plus overrides) and cdk-nag. */
function build(overrides: Record<string, unknown> = {}, extend?: (stack: HookgateStack) => void) {
  const outdir = mkdtempSync(join(tmpdir(), 'hookgate-cdk-'));
  outdirs.push(outdir);
  const context = { ...cdkJson.context, ...overrides };
  const app = new cdk.App({ outdir, context });
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new HookgateStack(
    app,
    'Hookgate',
    propsFromContext((k) => app.node.tryGetContext(k)),
  );
  extend?.(stack);
  return { app, stack };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type ContainerDef = {
  Name: string;
  Command?: string[];
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  PortMappings?: { ContainerPort: number }[];
  HealthCheck?: { Command: string[] };
  LogConfiguration?: { LogDriver: string };
  LinuxParameters?: { InitProcessEnabled?: boolean };
  StopTimeout?: number;
  ReadonlyRootFilesystem?: boolean;
};

type Ingress = { CidrIp?: string; SourceSecurityGroupId?: unknown; FromPort: number; ToPort: number };

/**
 * Every inbound rule touching `port` (any port if unset) on the security group whose description matches
 * `group`: inline (SecurityGroupIngress, where CDK puts CIDR rules) and standalone
 * AWS::EC2::SecurityGroupIngress resources (security-group peers).
 */
function ingressTo(template: Template, group: RegExp, port?: number): Ingress[] {
  const resources = template.toJSON().Resources as Resources;
  const ids = Object.entries(resources)
    .filter(
      ([, r]) => r.Type === 'AWS::EC2::SecurityGroup' && group.test(String(r.Properties.GroupDescription)),
    )
    .map(([id]) => id);
  assert.equal(ids.length, 1, `one security group matches ${group}`);
  const covers = (r: Ingress) => port === undefined || (r.FromPort <= port && port <= r.ToPort);
  const inline = (resources[ids[0]!]!.Properties.SecurityGroupIngress ?? []) as Ingress[];
  const standalone = Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [ids[0], 'GroupId'] }),
    )
    .map((r) => r.Properties as unknown as Ingress);
  return [...inline, ...standalone].filter(covers);
}

/** cdk-nag's findings in a synthesized assembly (none: no report, or an empty one). */
function nagViolations(assembly: cdk.cx_api.CloudAssembly): unknown[] {
  // Written only when some plugin reported something.
  const file = join(assembly.directory, 'validation-report.json');
  const report = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { pluginReports: [] }) as {
    pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
  };
  // The other validator (CloudFormation Validate) may warn, but fails nothing.
  for (const r of report.pluginReports) assert.equal(r.conclusion, 'success', r.pluginName);
  return report.pluginReports.filter((r) => /AwsSolutions/i.test(r.pluginName)).flatMap((r) => r.violations);
}

/** The ${VAR}s (no :- default) a config file reads that a container sets neither as env nor secret. */
function unsetVariables(configFile: string, c: ContainerDef): string[] {
  const config = readFileSync(join(REPO_ROOT, configFile), 'utf8');
  // Comments stripped so prose cannot count.
  const code = config.replace(/(^|\s)#.*$/gm, '');
  const needed = [...code.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1]!);
  assert.ok(needed.includes('REDIS_AUTH_TOKEN'), `${configFile} reads variables`);
  const set = new Set([...(c.Environment ?? []).map((e) => e.Name), ...(c.Secrets ?? []).map((s) => s.Name)]);
  return needed.filter((v) => !set.has(v));
}

function containers(template: Template): Record<'serve' | 'worker', ContainerDef> {
  const out: Partial<Record<'serve' | 'worker', ContainerDef>> = {};
  for (const td of Object.values(template.findResources('AWS::ECS::TaskDefinition'))) {
    const [c] = (td as { Properties: { ContainerDefinitions: ContainerDef[] } }).Properties
      .ContainerDefinitions;
    out[c!.Command![0] as 'serve' | 'worker'] = c!;
  }
  assert.ok(out.serve && out.worker, 'a serve task and a worker task');
  return out as Record<'serve' | 'worker', ContainerDef>;
}

describe('default deployment (cdk.json context)', () => {
  const { app, stack } = build();
  // Synthesis runs the validation plugins; a finding nobody acknowledged throws here.
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;

  test('synthesizes offline: no context lookups, placeholder account', () => {
    assert.deepEqual(assembly.manifest.missing ?? [], []);
    const artifact = assembly.getStackByName('Hookgate');
    assert.equal(artifact.environment.account, '123456789012');
    assert.equal(artifact.environment.region, 'us-east-1');
  });

  test('cdk-nag AwsSolutions ran and left no finding unacknowledged', () => {
    // A plugin with nothing to say leaves no entry; that nag does speak on this very
    // app is shown by 'cdk-nag is live' below.
    assert.deepEqual(nagViolations(assembly), []);
  });

  test('no event log database unless asked for', () => {
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    template.resourceCountIs('AWS::RDS::DBSubnetGroup', 0);
    assert.doesNotMatch(JSON.stringify(template.toJSON()), /5432|EventLog/);
    template.resourcePropertiesCountIs(
      'AWS::EC2::Subnet',
      { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]) },
      0,
    );
    const { serve, worker } = containers(template);
    for (const c of [serve, worker]) {
      const names = [...(c.Environment ?? []), ...(c.Secrets ?? [])].map((e) => e.Name);
      assert.deepEqual(
        names.filter((n) => n.startsWith('PG')),
        [],
      );
    }
  });

  test('the ALB forwards only the webhook port; the admin port is no target', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    const groups = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    assert.deepEqual(
      groups.map((g) => (g as { Properties: { Port: number } }).Properties.Port),
      [WEBHOOK_PORT],
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/healthz',
    });
    template.resourcePropertiesCountIs(
      'AWS::ElasticLoadBalancingV2::Listener',
      { Port: 80, Protocol: 'HTTP' },
      1,
    );
    // Without adminAccessCidr nothing may reach the admin ports: no ingress rule names them.
    for (const port of [ADMIN_PORT, WORKER_ADMIN_PORT]) {
      const adminIngress = Object.values(resources).filter(
        (r) =>
          (r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === port) ||
          (r.Type === 'AWS::EC2::SecurityGroup' &&
            JSON.stringify(r.Properties.SecurityGroupIngress ?? []).includes(`"FromPort":${port}`)),
      );
      assert.deepEqual(adminIngress, [], `no ingress to ${port}`);
    }
    assert.deepEqual(ingressTo(template, /^hookgate worker/, WORKER_ADMIN_PORT), []);
    assert.deepEqual(ingressTo(template, /^hookgate gateway/, ADMIN_PORT), []);
    // The gateway takes the webhook port from the ALB's security group only.
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: WEBHOOK_PORT,
      ToPort: WEBHOOK_PORT,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlbSg'), 'GroupId'] },
    });
  });

  test('gateway and worker are separate services with their own autoscaling', () => {
    template.resourceCountIs('AWS::ECS::Service', 2);
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      LoadBalancers: Match.arrayWith([Match.objectLike({ ContainerPort: WEBHOOK_PORT })]),
    });
    template.hasResourceProperties('AWS::ECS::Service', { LoadBalancers: Match.absent() });
    const targets = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map(
      (t) => (t as { Properties: { MinCapacity: number; MaxCapacity: number } }).Properties,
    );
    assert.deepEqual(
      targets.map((t) => [t.MinCapacity, t.MaxCapacity]).sort(),
      [
        [2, 10],
        [2, 6],
      ],
      'gateway 2-6 and worker 2-10 tasks (defaults)',
    );
    template.resourcePropertiesCountIs(
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        }),
      },
      2,
    );
  });

  test('Redis: TLS in transit, AUTH from Secrets Manager, multi-AZ, noeviction', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      NumCacheClusters: 2,
      Port: REDIS_PORT,
      // A dynamic reference that CloudFormation resolves: the token never sits in the template.
      AuthToken: {
        'Fn::Join': [
          '',
          [
            '{{resolve:secretsmanager:',
            { Ref: Match.stringLikeRegexp('^RedisAuthToken') },
            ':SecretString:::}}',
          ],
        ],
      },
    });
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      Properties: { 'maxmemory-policy': 'noeviction' },
    });
    // Only the task security groups reach it.
    const redisIngress = Object.values(resources).filter(
      (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === REDIS_PORT,
    );
    assert.equal(redisIngress.length, 2);
    for (const r of redisIngress)
      assert.ok(r.Properties.SourceSecurityGroupId, 'from a security group, not a CIDR');
  });

  test('secrets come from Secrets Manager, never as plain environment', () => {
    const { serve, worker } = containers(template);
    const names = (c: ContainerDef) => (c.Secrets ?? []).map((s) => s.Name).sort();
    assert.deepEqual(names(serve), ['HOOKGATE_ADMIN_TOKEN', 'REDIS_AUTH_TOKEN', 'STRIPE_WEBHOOK_SECRET']);
    assert.deepEqual(
      names(worker),
      ['HOOKGATE_ADMIN_TOKEN', 'REDIS_AUTH_TOKEN', 'STRIPE_WEBHOOK_SECRET'],
      'workers get the admin token too: it turns on their /metrics',
    );
    // The same AdminToken secret in both, not a second one.
    const adminTokenOf = (c: ContainerDef) =>
      JSON.stringify(c.Secrets!.find((s) => s.Name === 'HOOKGATE_ADMIN_TOKEN')!.ValueFrom);
    assert.match(adminTokenOf(worker), /"Ref":"AdminToken/);
    assert.equal(adminTokenOf(worker), adminTokenOf(serve));
    template.resourcePropertiesCountIs(
      'AWS::SecretsManager::Secret',
      { Description: Match.stringLikeRegexp('HOOKGATE_ADMIN_TOKEN') },
      1,
    );
    for (const c of [serve, worker]) {
      for (const s of c.Secrets!) assert.match(JSON.stringify(s.ValueFrom), /Ref|secretsmanager/);
      for (const e of c.Environment ?? []) assert.doesNotMatch(e.Name, /SECRET|TOKEN|PASSWORD/);
    }
  });

  test('every ${VAR} the baked-in config needs is set in both task definitions', () => {
    const { serve, worker } = containers(template);
    for (const [name, c] of [
      ['serve', serve],
      ['worker', worker],
    ] as const) {
      assert.deepEqual(
        unsetVariables('deploy/aws-cdk/hookgate.ecs.yaml', c),
        [],
        `${name} task sets every variable`,
      );
    }
  });

  test('task roles: workers may only SendMessage/Publish/PutEvents on the configured ARNs', () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([, r]) =>
      JSON.stringify(r).includes('ecs-tasks.amazonaws.com'),
    );
    const taskRoleIds = new Set(
      Object.values(template.findResources('AWS::ECS::TaskDefinition')).map(
        (td) =>
          (td as { Properties: { TaskRoleArn: { 'Fn::GetAtt': [string] } } }).Properties.TaskRoleArn[
            'Fn::GetAtt'
          ][0],
      ),
    );
    assert.equal(taskRoleIds.size, 2);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .map((p) => p as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: unknown[] } } })
      .filter((p) => p.Properties.Roles.some((r) => taskRoleIds.has(r.Ref)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    assert.deepEqual(statements, [
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: 'arn:aws:sqs:us-east-1:123456789012:payments' },
    ]);
    assert.ok(roles.length >= 4, 'task and execution roles exist');
    for (const [, role] of roles) {
      assert.equal(
        (role as { Properties: { ManagedPolicyArns?: unknown } }).Properties.ManagedPolicyArns,
        undefined,
      );
    }
  });

  test('logs to CloudWatch; gateway health-checked; SIGTERM drains under an init process', () => {
    const { serve, worker } = containers(template);
    for (const c of [serve, worker]) {
      assert.equal(c.LogConfiguration?.LogDriver, 'awslogs');
      assert.equal(c.LinuxParameters?.InitProcessEnabled, true);
      assert.ok((c.StopTimeout ?? 0) > 20, 'stopTimeout longer than hookgate.ecs.yaml shutdownTimeout (20s)');
      assert.equal(c.ReadonlyRootFilesystem, true);
    }
    assert.deepEqual(serve.HealthCheck?.Command.slice(0, 2), ['CMD', 'node']);
    assert.match(serve.HealthCheck!.Command.join(' '), new RegExp(`127\\.0\\.0\\.1:${WEBHOOK_PORT}/healthz`));
    assert.deepEqual(
      serve.PortMappings?.map((p) => p.ContainerPort),
      [WEBHOOK_PORT, ADMIN_PORT],
    );
    assert.deepEqual(
      worker.PortMappings?.map((p) => p.ContainerPort),
      [WORKER_ADMIN_PORT],
      'workers listen only on their admin port (/metrics)',
    );
    const config = readFileSync(join(REPO_ROOT, 'deploy/aws-cdk/hookgate.ecs.yaml'), 'utf8');
    assert.match(
      config,
      new RegExp(`^  adminPort: ${WORKER_ADMIN_PORT}\\b`, 'm'),
      'worker.adminPort matches',
    );
    assert.match(
      config,
      /^admin:\n(?: {2}#.*\n)* {2}host: 0\.0\.0\.0\b/m,
      'admin.host reachable in the task',
    );
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 3);
  });

  test('the image is built from the repo Dockerfile with the ECS config baked in', () => {
    const assets = JSON.parse(readFileSync(join(assembly.directory, 'Hookgate.assets.json'), 'utf8')) as {
      dockerImages: Record<
        string,
        {
          source: { directory: string; dockerBuildTarget?: string; dockerBuildArgs?: Record<string, string> };
        }
      >;
    };
    const images = Object.values(assets.dockerImages);
    assert.equal(images.length, 1);
    const source = images[0]!.source;
    assert.equal(source.dockerBuildTarget, 'runtime');
    assert.equal(source.dockerBuildArgs?.HOOKGATE_CONFIG_SRC, 'deploy/aws-cdk/hookgate.ecs.yaml');
    // The staged build context holds what the Dockerfile copies and nothing else, so
    // an edit to docs or tests does not change the image tag and roll the services.
    const staged = join(assembly.directory, source.directory);
    const dockerfile = readFileSync(join(staged, 'Dockerfile'), 'utf8');
    assert.ok(dockerfile.includes('AS runtime'));
    // Tasks run Node 24 LTS: the base the staged Dockerfile builds from unless a
    // NODE_IMAGE build arg overrides it, and the stack passes none.
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    assert.equal(source.dockerBuildArgs?.NODE_IMAGE, undefined);
    const copied = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)]
      .flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1))
      .filter((src) => !src.startsWith('--'))
      .map((src) =>
        src.replace('${HOOKGATE_CONFIG_SRC}', 'deploy/aws-cdk/hookgate.ecs.yaml').replace(/\/$/, ''),
      );
    assert.ok(copied.length >= 4, `COPY sources found: ${copied.join(' ')}`);
    for (const src of copied) assert.ok(existsSync(join(staged, src)), `${src} is in the build context`);
    assert.ok(readFileSync(join(staged, 'deploy/aws-cdk/hookgate.ecs.yaml'), 'utf8').includes('rediss://'));
    for (const absent of ['README.md', 'test', 'examples', 'node_modules', 'deploy/aws-cdk/lib']) {
      assert.ok(!existsSync(join(staged, absent)), `${absent} is not in the build context`);
    }
  });
});

describe('event log (context eventLog=true): RDS PostgreSQL', () => {
  const { app, stack } = build({ eventLog: 'true' });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const [dbId, db] = Object.entries(template.findResources('AWS::RDS::DBInstance'))[0] ?? [];

  test('cdk-nag AwsSolutions left no finding unacknowledged', () => {
    assert.deepEqual(nagViolations(assembly), []);
  });

  test('one PostgreSQL instance: encrypted, TLS only, private, protected, backed up', () => {
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    assert.ok(db && dbId);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: '17',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      MultiAZ: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      Port: String(POSTGRES_PORT),
      DBName: EVENT_LOG_DB,
      StorageType: 'gp3',
      EnablePerformanceInsights: true,
      PerformanceInsightsRetentionPeriod: 7,
    });
    // Removal keeps a final snapshot (and deletion protection refuses the delete first).
    assert.equal((db as { DeletionPolicy?: string }).DeletionPolicy, 'Snapshot');
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
  });

  test('in isolated subnets, which come after the existing ones', () => {
    const group = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0] as {
      Properties: { SubnetIds: { Ref: string }[] };
    };
    const ids = group.Properties.SubnetIds.map((r) => r.Ref);
    assert.equal(ids.length, 2);
    for (const id of ids) {
      const subnet = resources[id]!.Properties as { Tags: { Key: string; Value: string }[] };
      assert.ok(
        subnet.Tags.some((t) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Isolated'),
        id,
      );
      // No route to a NAT or internet gateway from the data subnets.
      const routes = Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::EC2::Route' &&
          JSON.stringify(r.Properties.RouteTableId).includes(id.replace(/Subnet[0-9A-F]{8}$/, '')),
      );
      assert.deepEqual(routes, [], `${id}: no routes out`);
    }
    // Turning the event log on must not renumber the subnets a deployment already has.
    const cidrs = (tpl: Template) =>
      Object.fromEntries(
        Object.entries(tpl.findResources('AWS::EC2::Subnet')).map(([id, r]) => [
          id,
          (r as { Properties: { CidrBlock: string } }).Properties.CidrBlock,
        ]),
      );
    const without = cidrs(Template.fromStack(build().stack));
    const withLog = cidrs(template);
    for (const [id, cidr] of Object.entries(without)) assert.equal(withLog[id], cidr, `${id} keeps ${cidr}`);
  });

  test('5432 only from the gateway and worker task security groups, nothing else inbound', () => {
    const rules = ingressTo(template, /^hookgate event log/);
    assert.deepEqual(rules, ingressTo(template, /^hookgate event log/, POSTGRES_PORT), 'no other port');
    const sources = rules.map((r) => {
      assert.equal(r.CidrIp, undefined, 'no CIDR rule');
      assert.equal(r.FromPort, POSTGRES_PORT);
      assert.equal(r.ToPort, POSTGRES_PORT);
      return (r.SourceSecurityGroupId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    });
    assert.equal(sources.length, 2);
    assert.match(sources.sort().join(' '), /^GatewaySg\w+ WorkerSg\w+$/);
    // The instance uses that group and no other.
    const dbSg = (db as { Properties: { VPCSecurityGroups: { 'Fn::GetAtt': [string] }[] } }).Properties
      .VPCSecurityGroups;
    assert.equal(dbSg.length, 1);
    assert.match(dbSg[0]!['Fn::GetAtt'][0], /^EventLogDbSg/);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^hookgate event log'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })], // CDK's "no egress"
    });
  });

  test('credentials: generated into Secrets Manager, URL-safe, attached to the instance', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ username: EVENT_LOG_DB }),
        GenerateStringKey: 'password',
        ExcludeCharacters: Match.stringLikeRegexp('@'),
      }),
    });
    const secret = Object.values(template.findResources('AWS::SecretsManager::Secret')).find((r) =>
      JSON.stringify(r).includes('"GenerateStringKey":"password"'),
    ) as { Properties: { GenerateSecretString: { ExcludeCharacters: string } } };
    // Everything but letters and digits: the config puts the password into the URL as is.
    const excluded = new Set(secret.Properties.GenerateSecretString.ExcludeCharacters);
    for (let c = 32; c < 127; c++) {
      const ch = String.fromCharCode(c);
      assert.equal(excluded.has(ch), !/[A-Za-z0-9]/.test(ch), `${JSON.stringify(ch)}`);
    }
    template.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      TargetType: 'AWS::RDS::DBInstance',
      TargetId: { Ref: dbId },
    });
    // The master password is a dynamic reference into that secret, never a literal.
    assert.match(
      JSON.stringify((db as { Properties: { MasterUserPassword: unknown } }).Properties.MasterUserPassword),
      /resolve:secretsmanager:.*:SecretString:password::/,
    );
  });

  test('tasks: PG* host, port, user, database as env, PGPASSWORD from the secret', () => {
    const { serve, worker } = containers(template);
    for (const c of [serve, worker]) {
      const env = Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));
      assert.equal(env.PGUSER, EVENT_LOG_DB);
      assert.equal(env.PGDATABASE, EVENT_LOG_DB);
      assert.deepEqual(env.PGHOST, { 'Fn::GetAtt': [dbId, 'Endpoint.Address'] });
      assert.deepEqual(env.PGPORT, { 'Fn::GetAtt': [dbId, 'Endpoint.Port'] });
      assert.equal(env.PGPASSWORD, undefined, 'the password is no plain variable');
      const pw = (c.Secrets ?? []).find((s) => s.Name === 'PGPASSWORD');
      assert.ok(pw, 'PGPASSWORD is an ECS secret');
      assert.match(JSON.stringify(pw.ValueFrom), /EventLogDbSecret.*:password::/);
      assert.deepEqual(unsetVariables('deploy/aws-cdk/hookgate.ecs.eventlog.yaml', c), []);
    }
    // Both execution roles may read that secret (ECS fetches it at task start).
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .map((p) => p as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: unknown[] } } })
      .filter((p) =>
        p.Properties.PolicyDocument.Statement.some((st) => {
          const text = JSON.stringify(st);
          return text.includes('secretsmanager:GetSecretValue') && /"Ref":"EventLogDbSecret/.test(text);
        }),
      )
      .flatMap((p) => p.Properties.Roles.map((r) => r.Ref))
      .sort();
    assert.deepEqual(
      readers.map((r) => r.replace(/[0-9A-F]{8}$/, '')),
      ['GatewayTaskExecutionRole', 'WorkerTaskExecutionRole'],
    );
  });

  test('the image bakes the config with the eventLog section', () => {
    const assets = JSON.parse(readFileSync(join(assembly.directory, 'Hookgate.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { dockerBuildArgs?: Record<string, string> } }>;
    };
    const [image] = Object.values(assets.dockerImages);
    assert.equal(
      image?.source.dockerBuildArgs?.HOOKGATE_CONFIG_SRC,
      'deploy/aws-cdk/hookgate.ecs.eventlog.yaml',
    );
  });

  test('single-AZ on request, still without an unacknowledged finding', () => {
    const single = build({ eventLog: true, eventLogMultiAz: 'false', eventLogInstanceType: 't4g.micro' });
    const singleAssembly = single.app.synth();
    assert.deepEqual(nagViolations(singleAssembly), []);
    Template.fromStack(single.stack).hasResourceProperties('AWS::RDS::DBInstance', {
      MultiAZ: false,
      DBInstanceClass: 'db.t4g.micro',
    });
  });

  test('the database and the config that uses it go together', () => {
    assert.throws(
      () => build({ eventLog: 'true', configFile: 'deploy/aws-cdk/hookgate.ecs.yaml' }),
      /context eventLog: the baked config deploy\/aws-cdk\/hookgate\.ecs\.yaml has no eventLog section/,
    );
    assert.throws(
      () => build({ configFile: 'deploy/aws-cdk/hookgate.ecs.eventlog.yaml' }),
      /has an eventLog section; deploy it with -c eventLog=true/,
    );
    assert.throws(() => build({ eventLog: 'yes' }), /context eventLog: "yes" is not true or false/);
  });
});

describe('ElastiCache cluster mode (context redisShards, redisReplicas)', () => {
  const { app, stack } = build({ redisShards: '3', redisReplicas: '1' });
  const assembly = app.synth();
  const template = Template.fromStack(stack);

  test('cdk-nag AwsSolutions left no finding unacknowledged', () => {
    assert.deepEqual(nagViolations(assembly), []);
  });

  test('3 shards of a primary and 1 replica, multi-AZ with automatic failover, TLS and AUTH', () => {
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 1);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 1,
      NumCacheClusters: Match.absent(),
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      AuthToken: Match.anyValue(),
      Port: REDIS_PORT,
    });
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      Properties: { 'maxmemory-policy': 'noeviction', 'cluster-enabled': 'yes' },
    });
  });

  test('hookgate: the configuration endpoint, 6 partitions (2 per shard), ackReplicas 1', () => {
    const { serve, worker } = containers(template);
    for (const c of [serve, worker]) {
      const env = Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));
      assert.match(JSON.stringify(env.REDIS_HOST), /ConfigurationEndPoint\.Address/);
      assert.match(JSON.stringify(env.REDIS_PORT), /ConfigurationEndPoint\.Port/);
      assert.equal(env.REDIS_PARTITIONS, '6');
      assert.equal(env.REDIS_ACK_REPLICAS, '1');
      assert.deepEqual(unsetVariables('deploy/aws-cdk/hookgate.ecs.cluster.yaml', c), []);
    }
    const assets = JSON.parse(readFileSync(join(assembly.directory, 'Hookgate.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { dockerBuildArgs?: Record<string, string> } }>;
    };
    const [image] = Object.values(assets.dockerImages);
    assert.equal(
      image?.source.dockerBuildArgs?.HOOKGATE_CONFIG_SRC,
      'deploy/aws-cdk/hookgate.ecs.cluster.yaml',
    );
  });

  test('with the event log too, and other sizes; nag-clean', () => {
    const both = build({ redisShards: 2, redisReplicas: 2, redisPartitions: 8, eventLog: 'true' });
    const bothAssembly = both.app.synth();
    assert.deepEqual(nagViolations(bothAssembly), []);
    const t = Template.fromStack(both.stack);
    t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumNodeGroups: 2,
      ReplicasPerNodeGroup: 2,
    });
    const { serve } = containers(t);
    const env = Object.fromEntries((serve.Environment ?? []).map((e) => [e.Name, e.Value]));
    assert.equal(env.REDIS_PARTITIONS, '8');
    assert.deepEqual(unsetVariables('deploy/aws-cdk/hookgate.ecs.cluster.eventlog.yaml', serve), []);
  });

  test('bad cluster context is refused with the key named', () => {
    assert.throws(() => build({ redisShards: 3, redisReplicas: 0 }), /redisReplicas: 1 to 5/);
    assert.throws(
      () => build({ redisShards: 3, redisPartitions: 2 }),
      /redisPartitions: at least one per shard/,
    );
    assert.throws(
      () => build({ redisShards: 3, redisAckReplicas: 2 }),
      /redisAckReplicas: 0 to redisReplicas/,
    );
    assert.throws(
      () => build({ redisShards: 3, configFile: 'deploy/aws-cdk/hookgate.ecs.yaml' }),
      /has no redis\.cluster/,
    );
    assert.throws(
      () => build({ configFile: 'deploy/aws-cdk/hookgate.ecs.cluster.yaml' }),
      /has redis\.cluster; deploy it with -c redisShards=N/,
    );
  });

  test('without redisShards: no cluster mode, as before', () => {
    const plain = Template.fromStack(build().stack);
    plain.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 2,
      NumNodeGroups: Match.absent(),
    });
    plain.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      Properties: Match.objectEquals({ 'maxmemory-policy': 'noeviction' }),
    });
  });
});

describe('options', () => {
  test('HTTPS with a certificate, HTTP redirects; admin reachable from one CIDR only', () => {
    const { app, stack } = build({
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
      adminAccessCidr: '10.20.0.0/16',
    });
    app.synth();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect' })],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('gateway'),
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '10.20.0.0/16', FromPort: ADMIN_PORT, ToPort: ADMIN_PORT }),
      ],
    });
    // Worker metrics: exactly one rule, from that CIDR, for that port; nothing else inbound.
    const workerIngress = ingressTo(template, /^hookgate worker/, WORKER_ADMIN_PORT);
    assert.deepEqual(
      workerIngress.map(({ CidrIp, FromPort, ToPort, SourceSecurityGroupId }) => ({
        CidrIp,
        FromPort,
        ToPort,
        SourceSecurityGroupId,
      })),
      [
        {
          CidrIp: '10.20.0.0/16',
          FromPort: WORKER_ADMIN_PORT,
          ToPort: WORKER_ADMIN_PORT,
          SourceSecurityGroupId: undefined,
        },
      ],
    );
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^hookgate worker'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.20.0.0/16', FromPort: WORKER_ADMIN_PORT })],
    });
    assert.deepEqual(ingressTo(template, /^hookgate gateway/, WORKER_ADMIN_PORT), [], 'not on the gateway');
    const groups = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    assert.equal(groups.length, 1, 'still one target group: the admin port never goes behind the ALB');
  });

  test('SNS and EventBridge ARNs become exactly those grants; prebuilt ECR images are pulled', () => {
    const { stack } = build({
      sqsQueueArns: 'arn:aws:sqs:us-east-1:123456789012:a,arn:aws:sqs:us-east-1:123456789012:b.fifo',
      snsTopicArns: '["arn:aws:sns:us-east-1:123456789012:events"]',
      eventBusArns: ['arn:aws:events:us-east-1:123456789012:event-bus/default'],
      imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/hookgate:0.1.0',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'sqs:SendMessage',
            Effect: 'Allow',
            Resource: ['arn:aws:sqs:us-east-1:123456789012:a', 'arn:aws:sqs:us-east-1:123456789012:b.fifo'],
          },
          { Action: 'sns:Publish', Effect: 'Allow', Resource: 'arn:aws:sns:us-east-1:123456789012:events' },
          {
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: Match.objectLike({ 'Fn::Join': Match.anyValue() }) })],
    });
    assert.match(JSON.stringify(template.toJSON()), /repository\/hookgate/);
  });

  test('cdk-nag is live: an unjustified finding fails the synth', () => {
    const { app } = build({}, (stack) => new s3.Bucket(stack, 'Unlogged', { enforceSSL: true }));
    assert.throws(() => app.synth(), /Validation failed/);
  });

  test('bad context is refused with the key named', () => {
    assert.throws(() => build({ secretEnv: 'stripe-secret' }), /secretEnv: "stripe-secret"/);
    assert.throws(() => build({ redisNodes: 1 }), /redisNodes/);
    assert.throws(() => build({ configFile: 'nope.yaml' }), /configFile: nope\.yaml does not exist/);
    assert.throws(() => build({ environment: { STRIPE_WEBHOOK_SECRET: 'x' } }), /also in secretEnv/);
  });
});
