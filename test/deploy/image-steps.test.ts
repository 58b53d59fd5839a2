/**
 * The Docker image, built without Docker: CI has no Docker engine, so this test reads
 * the Dockerfile and replays its stages in a temp dir — every COPY from the build
 * context (honouring .dockerignore) or from an earlier stage, every RUN — and then
 * starts the result the way the image's ENTRYPOINT/CMD and docker-compose.yml do.
 * A COPY of a path that does not exist or is ignored, a build that needs a file the
 * image lacks, or a runtime import of a devDependency fails here.
 *
 * Two deliberate differences from `docker build`, both about this machine:
 *  - The build stage's full `npm ci` is replaced by a link to the repo's node_modules:
 *    same lockfile, and CI ran that exact command at the repo root minutes earlier.
 *    (The production-only install in the runtime stage does run, from npm's cache.)
 *  - `npm cache clean --force` is skipped: it only slims the layer, and here it would
 *    empty the machine's shared npm cache.
 * The host's Node runs the result; the image's Node version is checked by shape only.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFauxqs } from 'fauxqs';
import { parseConfig } from '../../src/config/load.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { readCompose, serviceEnv } from './compose.js';
import { dockerignore, parseDockerfile, stageEnv, type Stage } from './dockerfile.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const stages = parseDockerfile(join(repo, 'Dockerfile'));
const runtime = stages.at(-1)!;
const ignored = dockerignore(join(repo, '.dockerignore'));

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The child sees the image's ENV on top of a minimal host environment: nothing of
 * tap's (NODE_OPTIONS loaders, TAP_*) or npm's (npm_config_* from `npm test`).
 */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k]) base[k] = process.env[k];
  return { ...base, ...extra };
}

function run(
  argv: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void },
): Promise<Result> {
  return new Promise((resolveRun, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd === 'node' ? process.execPath : cmd!, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('spawn', () => opts.onSpawn?.(child.pid!));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

/** A container path (`/app/...`) inside a replayed stage's root. */
const inRoot = (root: string, containerPath: string) => join(root, posix.resolve('/', containerPath));

/** Container-absolute paths in ENV values (HOOKGATE_CONFIG=/app/...) mapped into the root. */
function mapEnv(root: string, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const first = v.startsWith('/') ? v.split('/')[1] : undefined;
    out[k] = first && existsSync(join(root, first)) ? inRoot(root, v) : v;
  }
  return out;
}

/** Docker COPY: a directory's contents go into dest; a file goes to dest, or into it if dest ends in `/`. */
function copyInto(src: string, destAbs: string, destIsDir: boolean, filter?: (p: string) => boolean): void {
  if (statSync(src).isDirectory()) {
    mkdirSync(destAbs, { recursive: true });
    cpSync(src, destAbs, { recursive: true, filter });
  } else {
    const target = destIsDir ? join(destAbs, posix.basename(src)) : destAbs;
    mkdirSync(dirname(target), { recursive: true });
    cpSync(src, target);
  }
}

// Two installs and a tsc build on a shared 2-core machine: measured 25 s idle and
// 110 s under a load average of 10, so allow more than .taprc's 120 s.
t.setTimeout(300_000);

const replayed = new Map<string, string>();
const work = mkdtempSync(join(tmpdir(), 'hookgate-image-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

async function replay(stage: Stage): Promise<{ root: string; workdir: string }> {
  const root = join(work, stage.name);
  mkdirSync(root, { recursive: true });
  let workdir = '/';
  const env: Record<string, string> = {};
  for (const step of stage.steps) {
    const where = `Dockerfile line ${step.line}`;
    switch (step.kind) {
      case 'workdir':
        workdir = posix.resolve(workdir, step.path);
        mkdirSync(inRoot(root, workdir), { recursive: true });
        break;
      case 'env':
        Object.assign(env, step.vars);
        break;
      case 'arg':
        if (step.value !== undefined) env[step.name] = step.value;
        break;
      case 'copy': {
        const destAbs = inRoot(root, posix.resolve(workdir, step.dest));
        const destIsDir = step.dest.endsWith('/') || step.sources.length > 1;
        for (const src of step.sources) {
          let from: string;
          if (step.from) {
            const fromRoot = replayed.get(step.from);
            if (!fromRoot) throw new Error(`${where}: COPY --from=${step.from} names no earlier stage`);
            from = inRoot(fromRoot, src);
          } else {
            const rel = posix.normalize(src).replace(/\/$/, '');
            if (rel.startsWith('..')) throw new Error(`${where}: ${src} is outside the build context`);
            if (ignored(rel)) throw new Error(`${where}: ${src} is excluded by .dockerignore`);
            from = join(repo, rel);
          }
          if (!existsSync(from)) throw new Error(`${where}: COPY source ${src} does not exist`);
          const filter = step.from ? undefined : (p: string) => !ignored(relative(repo, p));
          copyInto(from, destAbs, destIsDir, filter);
        }
        break;
      }
      case 'run': {
        const cwd = inRoot(root, workdir);
        for (const part of step.command.split(/\s*&&\s*/)) {
          if (/^npm cache clean\b/.test(part)) continue; // see the header comment
          if (/^npm ci\b/.test(part) && !/--omit=dev\b/.test(part)) {
            symlinkSync(join(repo, 'node_modules'), join(cwd, 'node_modules'), 'dir');
            continue;
          }
          if (!/^(npm|node) /.test(part)) {
            throw new Error(
              `${where}: RUN ${part} cannot be replayed here; teach image-steps.test.ts about it`,
            );
          }
          const argv = /^npm ci\b/.test(part) ? `${part} --prefer-offline` : part;
          const r = await run(['/bin/sh', '-c', argv], { cwd, env: cleanEnv(env), timeoutMs: 100_000 });
          if (r.code !== 0)
            throw new Error(`${where}: RUN ${part} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
        }
        break;
      }
      case 'other':
        throw new Error(`${where}: ${step.instruction} is not understood by test/deploy/dockerfile.ts`);
    }
  }
  replayed.set(stage.name, root);
  return { root, workdir };
}

t.test('the Dockerfile has the agreed shape', async (t) => {
  t.same(
    stages.map((s) => s.name),
    ['build', 'runtime'],
    'a build stage and a runtime stage',
  );
  for (const s of stages)
    t.match(s.image, /^node:(2[02468]|[3-9][02468])-(bookworm|trixie)-slim$/, `${s.name}: LTS slim image`);
  // The image never ships a Node older than package.json `engines` admits.
  const minMajor = Number(/^>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
  for (const s of stages)
    t.ok(
      Number(/^node:(\d+)/.exec(s.image)?.[1]) >= minMajor,
      `${s.name}: ${s.image} meets engines ${pkg.engines.node}`,
    );
  t.ok(runtime.user && !/^(root|0)(:|$)/.test(runtime.user), `runs as a non-root user (${runtime.user})`);
  t.same(runtime.entrypoint, ['node', 'dist/src/cli/main.js'], 'one image: ENTRYPOINT is the CLI');
  t.same(runtime.cmd, ['serve'], 'serve by default');
  t.ok(runtime.expose.includes(8080) && runtime.expose.includes(9090), 'exposes webhook and admin ports');
  t.ok(stageEnv(runtime).HOOKGATE_CONFIG, 'HOOKGATE_CONFIG has a default');
  t.equal(runtime.healthcheck?.cmd[0], 'node', 'healthcheck uses node (no curl in slim images)');
  t.match(runtime.healthcheck?.cmd.join(' ') ?? '', /\/healthz/, 'healthcheck probes /healthz');
  const runs = runtime.steps.flatMap((s) => (s.kind === 'run' ? [s.command] : []));
  t.ok(
    runs.some((r) => /npm ci\b.*--omit=dev/.test(r)),
    'runtime installs production dependencies only',
  );
});

t.test('the baked config opens the admin ports to `docker run -p`, only with a token', async (t) => {
  const copy = runtime.steps.find(
    (s): s is Extract<typeof s, { kind: 'copy' }> =>
      s.kind === 'copy' && s.dest === stageEnv(runtime).HOOKGATE_CONFIG?.replace(/^\/app\//, './'),
  );
  t.ok(copy, 'a COPY puts the config at HOOKGATE_CONFIG');
  const argDefault = runtime.steps.find((s) => s.kind === 'arg' && s.name === 'HOOKGATE_CONFIG_SRC');
  const src = argDefault?.kind === 'arg' ? argDefault.value : undefined;
  t.ok(src && [src, '${HOOKGATE_CONFIG_SRC}'].includes(copy?.sources[0] ?? ''), `from ${src} by default`);
  const text = readFileSync(join(repo, src!), 'utf8');
  // A real-looking secret: what the placeholder defaults resolve to is not this test's concern.
  const secrets = { STRIPE_WEBHOOK_SECRET: `whsec_${'k'.repeat(32)}` };
  const inImage = (extra: Record<string, string>) =>
    parseConfig(text, { env: { ...secrets, ...stageEnv(runtime), ...extra } });

  // -p 9090:9090 forwards to the container's own interface, never to its loopback.
  const withToken = inImage({ HOOKGATE_ADMIN_TOKEN: 'a-long-random-admin-token' });
  t.equal(withToken.admin.host, '0.0.0.0', 'admin (and each worker admin port) on every interface');
  t.ok(runtime.expose.includes(withToken.admin.port), `EXPOSE ${withToken.admin.port} (serve)`);
  t.ok(runtime.expose.includes(withToken.worker.adminPort), `EXPOSE ${withToken.worker.adminPort} (worker)`);
  t.notOk(inImage({}).admin.token, 'no HOOKGATE_ADMIN_TOKEN: no admin port at all');
  // The same file on a laptop (npx hookgate dev --config ...) keeps it on this machine.
  t.equal(parseConfig(text, { env: secrets }).admin.host, '127.0.0.1', 'outside the image: 127.0.0.1');
});

t.test('the image steps work outside Docker', async (t) => {
  for (const stage of stages.slice(0, -1)) await replay(stage);
  const { root, workdir } = await replay(runtime);
  const app = inRoot(root, workdir);
  const imageEnv = mapEnv(root, stageEnv(runtime));
  const entry = runtime.entrypoint!;

  t.test('runtime has production dependencies only', async (t) => {
    for (const dep of Object.keys(pkg.dependencies)) {
      t.ok(existsSync(join(app, 'node_modules', dep, 'package.json')), `${dep} installed`);
    }
    // A devDependency the lockfile marks devOptional is also an optional peer of a
    // production package (typescript, via @bull-board/api -> valibot) and npm keeps it.
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { devOptional?: boolean }>;
    };
    for (const dev of Object.keys(pkg.devDependencies)) {
      if (lock.packages[`node_modules/${dev}`]?.devOptional) continue;
      t.notOk(existsSync(join(app, 'node_modules', dev)), `devDependency ${dev} absent`);
    }
    t.notOk(existsSync(join(app, 'src')), 'no TypeScript sources in the runtime stage');
  });

  t.test('ENTRYPOINT starts the CLI', async (t) => {
    const version = await run([...entry, '--version'], { cwd: app, env: cleanEnv(imageEnv) });
    t.equal(version.code, 0, version.stderr);
    t.equal(version.stdout.trim(), pkg.version, 'reads package.json from the image');
    const help = await run([...entry, '--help'], { cwd: app, env: cleanEnv(imageEnv) });
    t.equal(help.code, 0, help.stderr);
    t.match(help.stdout, /serve/);
    t.match(help.stdout, /worker/);
  });

  t.test('the baked-in config (HOOKGATE_CONFIG) is valid', async (t) => {
    t.ok(existsSync(imageEnv.HOOKGATE_CONFIG!), `${stageEnv(runtime).HOOKGATE_CONFIG} exists in the image`);
    // Its Stripe secret defaults to a placeholder, which is refused until the variable is set.
    const unset = await run([...entry, 'config', 'check'], { cwd: app, env: cleanEnv(imageEnv) });
    t.equal(unset.code, 1);
    t.match(unset.stderr, /set STRIPE_WEBHOOK_SECRET/);
    const env = cleanEnv({ ...imageEnv, STRIPE_WEBHOOK_SECRET: 'whsec_c2V0LWJ5LXRoZS1vcGVyYXRvcg==' });
    const r = await run([...entry, 'config', 'check'], { cwd: app, env });
    t.equal(r.code, 0, r.stderr);
  });

  t.test('docker-compose.yml runs this image with a valid config', async (t) => {
    const compose = readCompose(join(repo, 'docker-compose.yml'));
    const help = (await run([...entry, '--help'], { cwd: app, env: cleanEnv(imageEnv) })).stdout;
    const targets = new Set(stages.map((s) => s.name));
    for (const name of ['gateway', 'worker']) {
      const svc = compose.services[name]!;
      t.ok(svc.build?.target && targets.has(svc.build.target), `${name} builds a Dockerfile stage`);
      // Compose bind-mounts the config over the baked one; do the same in the replayed root.
      for (const v of svc.volumes ?? []) {
        if (typeof v === 'string' || v.type !== 'bind') continue;
        const source = resolve(repo, v.source);
        t.ok(existsSync(source), `${name}: bind source ${v.source} exists`);
        cpSync(source, inRoot(root, v.target));
      }
      const env = cleanEnv({ ...imageEnv, ...mapEnv(root, serviceEnv(svc)) });
      const check = await run([...entry, 'config', 'check'], { cwd: app, env });
      t.equal(check.code, 0, `${name}: config check\n${check.stderr}`);
      const [command] = svc.command ?? runtime.cmd!;
      t.match(help, new RegExp(`^\\s+${command}\\b`, 'm'), `${name}: '${command}' is a hookgate command`);
    }
    // The receiver runs examples/receiver.mjs from a bind mount inside /app and
    // borrows the image's @aws-sdk/client-sqs: it must resolve from there.
    const receiver = compose.services.receiver!;
    const mount = (receiver.volumes ?? []).find((v) => typeof v !== 'string' && v.target === '/app/examples');
    t.ok(mount, 'examples/ is mounted at /app/examples');
    cpSync(join(repo, 'examples'), inRoot(root, '/app/examples'), { recursive: true });
    const script = receiver.entrypoint!.at(-1)!;
    t.ok(existsSync(inRoot(root, script)), `${script} exists`);
    const resolveSdk = await run(
      ['node', '--input-type=module', '-e', "console.log(import.meta.resolve('@aws-sdk/client-sqs'))"],
      { cwd: inRoot(root, '/app/examples'), env: cleanEnv({}) },
    );
    t.equal(resolveSdk.code, 0, resolveSdk.stderr);
    t.match(resolveSdk.stdout, /node_modules\/@aws-sdk\/client-sqs/);
  });

  t.test('serve answers the HEALTHCHECK and drains on SIGTERM', async (t) => {
    const port = await freePort();
    const adminPort = await freePort();
    const prefix = uniquePrefix('image');
    t.teardown(() => dropPrefix(prefix));
    const config = join(work, 'live.yaml');
    writeFileSync(
      config,
      [
        `server: { host: 127.0.0.1, port: ${port}, shutdownTimeout: 5s }`,
        `admin: { host: 127.0.0.1, port: ${adminPort} }`,
        `redis: { url: "${REDIS_URL}", prefix: ${prefix} }`,
        'sources: {}',
        'destinations: {}',
      ].join('\n'),
    );
    const env = cleanEnv({ ...imageEnv, HOOKGATE_CONFIG: config, PORT: String(port) });
    let pid = 0;
    const serving = run([...entry, ...runtime.cmd!], {
      cwd: app,
      env,
      onSpawn: (p) => (pid = p),
      timeoutMs: 60_000,
    });
    const healthcheck = runtime.healthcheck!.cmd;
    let health: Result | undefined;
    for (let i = 0; i < 40; i++) {
      health = await run(healthcheck, { cwd: app, env });
      if (health.code === 0) break;
      await delay(250);
    }
    t.equal(health?.code, 0, 'the Dockerfile HEALTHCHECK command succeeds against serve');
    process.kill(pid, runtime.stopSignal ?? 'SIGTERM');
    const exit = await serving;
    t.equal(exit.code, 0, `serve exits 0 after ${runtime.stopSignal ?? 'SIGTERM'}\n${exit.stderr}`);
  });

  t.test('the compose demo flows end to end, outside Docker', async (t) => {
    // The compose demo's services as processes on this machine: fauxqs in-process
    // (same emulator, same FAUXQS_HOST and init file), the receiver from the mounted
    // examples/, gateway and worker from the replayed image with the compose config
    // and environment. Only addresses change: service hostnames become 127.0.0.1
    // through the variables the compose config reads, and ports are free ones.
    const compose = readCompose(join(repo, 'docker-compose.yml'));
    const svc = compose.services;
    const fauxqsEnv = serviceEnv(svc.fauxqs!);
    const fauxqs = await startFauxqs({
      port: 0,
      logger: false,
      host: fauxqsEnv.FAUXQS_HOST,
      init: join(repo, 'examples/fauxqs-init.json'),
    });
    t.teardown(() => fauxqs.stop());
    const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
    const receiverEnv = serviceEnv(svc.receiver!);
    // fauxqs puts its own port in queue URLs: 4566 in compose, a free one here.
    const queueUrl = receiverEnv.SQS_QUEUE_URL!.replace(':4566/', `:${fauxqs.port}/`);

    const receiverPort = await freePort();
    cpSync(join(repo, 'examples'), inRoot(root, '/app/examples'), { recursive: true });
    const receiver = start(['node', inRoot(root, svc.receiver!.entrypoint!.at(-1)!)], {
      cwd: app,
      env: cleanEnv({
        ...receiverEnv,
        PORT: String(receiverPort),
        SQS_QUEUE_URL: queueUrl,
        SQS_ENDPOINT: sqsEndpoint,
      }),
    });
    t.teardown(() => receiver.stop());

    for (const v of svc.gateway!.volumes ?? []) {
      if (typeof v !== 'string' && v.type === 'bind') cpSync(resolve(repo, v.source), inRoot(root, v.target));
    }
    const gatewayPort = await freePort();
    const prefix = uniquePrefix('compose');
    t.teardown(() => dropPrefix(prefix));
    const envFor = (name: string) =>
      cleanEnv({
        ...imageEnv,
        ...mapEnv(root, serviceEnv(svc[name]!)),
        REDIS_URL,
        HOOKGATE_REDIS_PREFIX: prefix,
        PORT: String(gatewayPort),
        RECEIVER_URL: `http://127.0.0.1:${receiverPort}/webhooks`,
        DEMO_QUEUE_URL: queueUrl,
        SQS_ENDPOINT: sqsEndpoint,
      });
    const gateway = start([...entry, ...svc.gateway!.command!], { cwd: app, env: envFor('gateway') });
    t.teardown(() => gateway.stop());
    const worker = start([...entry, ...svc.worker!.command!], { cwd: app, env: envFor('worker') });
    t.teardown(() => worker.stop());

    const base = `http://127.0.0.1:${gatewayPort}`;
    await until(
      'gateway /healthz',
      async () => (await fetch(`${base}/healthz`)).ok,
      () => gateway.output(),
    );
    await until(
      'the worker to start',
      () => Promise.resolve(/hookgate worker started/.test(worker.output())),
      () => worker.output(),
    );
    await until(
      'the receiver',
      async () => (await fetch(`http://127.0.0.1:${receiverPort}/healthz`)).ok,
      () => receiver.output(),
    );

    // What deploy/README.md tells a user to run.
    const sent = await run(['node', join(repo, 'examples/send-webhook.mjs'), `${base}/hooks/demo`], {
      cwd: repo,
      env: cleanEnv({}),
    });
    t.equal(sent.code, 0, `send-webhook.mjs\n${sent.stdout}${sent.stderr}\n${gateway.output()}`);
    const eventId = /hookgate-event-id: (\S+)/.exec(sent.stdout)?.[1];
    t.ok(eventId, `204 with an event id: ${sent.stdout.trim()}`);

    type Entry = { via: string; eventId?: string; webhookId?: string; verified?: boolean };
    let got: Entry[] = [];
    await until(
      'the event at the receiver over HTTP and from SQS',
      async () => {
        got = (await (await fetch(`http://127.0.0.1:${receiverPort}/received`)).json()) as Entry[];
        return ['http', 'sqs'].every((via) => got.some((e) => e.via === via && e.eventId === eventId));
      },
      () => `${worker.output()}\n${receiver.output()}`,
      30_000,
    );
    const http = got.find((e) => e.via === 'http')!;
    t.equal(http.webhookId, eventId, 'webhook-id is the event id');
    t.equal(http.verified, true, "the receiver verified hookgate's signature");
    t.equal(got.find((e) => e.via === 'sqs')!.webhookId, eventId, 'SQS attribute hookgate-event-id');

    for (const [name, p] of [
      ['gateway', gateway],
      ['worker', worker],
      ['receiver', receiver],
    ] as const) {
      const code = await p.stop();
      t.equal(code, 0, `${name} exits 0 on SIGTERM\n${p.output().slice(-2000)}`);
    }
  });
});

interface Started {
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after 30 s). Idempotent. */
  stop(): Promise<number | null>;
}

function start(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Started {
  const [cmd, ...args] = argv;
  const child = spawn(cmd === 'node' ? process.execPath : cmd!, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let stopping: Promise<number | null> | undefined;
  return {
    output: () => out,
    stop: () => {
      if (!stopping) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
        stopping = exited.finally(() => clearTimeout(kill));
      }
      return stopping;
    },
  };
}

async function until(
  what: string,
  ok: () => Promise<boolean>,
  context: () => string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context().slice(-3000)}`);
    await delay(200);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
    s.on('error', reject);
  });
}
