import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';

/**
 * A throwaway `redis-server` that speaks only TLS and requires a password, as
 * ElastiCache does with in-transit encryption and an AUTH token (`rediss://:<token>@host:6380`).
 * Its server certificate (for `localhost` and 127.0.0.1) is signed by a throwaway CA,
 * both made with `openssl` in a temp dir; a client trusts it with
 * `NODE_EXTRA_CA_CERTS=<caFile>` (or `tls.ca`). Torn down (SIGKILL, temp dir removed)
 * at the test's teardown.
 *
 *   const skip = tlsRedisToolsMissing();
 *   t.test('...', { skip }, async (t) => { const r = await startTlsRedisServer(t, { password }); r.url; });
 */
export interface TlsRedisServer {
  readonly port: number;
  readonly password: string;
  /** `rediss://:<password>@localhost:<port>` */
  readonly url: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  /** The server's stdout and stderr so far (its log). */
  log(): string;
  /** How many AUTHs the server has refused so far (from its ACL LOG). */
  authFailures(): Promise<number>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Why a TLS Redis cannot be started here (a skip reason), or undefined when it can. */
export function tlsRedisToolsMissing(): string | undefined {
  const missing = [
    ['openssl', 'version'],
    ['redis-server', '--version'],
  ]
    .filter(([bin, arg]) => spawnSync(bin!, [arg!], { stdio: 'ignore' }).error !== undefined)
    .map(([bin]) => bin);
  return missing.length
    ? `${missing.join(' and ')} not on PATH (Debian: apt-get install openssl redis-server)`
    : undefined;
}

function openssl(dir: string, args: string[]): void {
  const res = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`openssl ${args[0]} failed:\n${res.stderr}`);
}

/**
 * A CA (ca.pem, ca.key) and a server certificate for localhost/127.0.0.1 signed by it.
 * `hostOnly`: for `localhost` alone, as a managed service's certificate names host names
 * and never an IP, so a client that dials the resolved address instead of the name fails.
 */
export function makeCertificates(
  dir: string,
  options: { hostOnly?: boolean } = {},
): { ca: string; cert: string; key: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=hookgate test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(dir, [
    'req',
    '-new',
    ...ec,
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName=DNS:localhost${options.hostOnly ? '' : ',IP:127.0.0.1'}\n` +
      // clientAuth too: cluster nodes present it to each other on the TLS cluster bus.
      'extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n',
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** Connects over TLS (trusting `ca`), AUTHs and PINGs; true on +PONG. */
function tlsPing(port: number, ca: Buffer, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    let seen = '';
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('secureConnect', () =>
      socket.write(
        `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n*1\r\n$4\r\nPING\r\n`,
      ),
    );
    socket.on('data', (d) => {
      seen += String(d);
      if (seen.includes('+PONG')) done(true);
      else if (seen.startsWith('-')) done(false);
    });
  });
}

export async function startTlsRedisServer(
  t: Teardown,
  options: { password: string },
): Promise<TlsRedisServer> {
  const { password } = options;
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-redis-tls-'));
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    const [proc] = children;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const files = makeCertificates(dir);
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--tls-cert-file',
      files.cert,
      '--tls-key-file',
      files.key,
      '--tls-ca-cert-file',
      files.ca,
      '--tls-auth-clients',
      'no',
      '--requirepass',
      password,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(proc);
  let log = '';
  proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<boolean>((resolve) => proc.once('exit', () => resolve(true)));
  const ca = readFileSync(files.ca);
  for (let i = 0; ; i++) {
    if (await tlsPing(port, ca, password)) break;
    if (i >= 200) throw new Error(`TLS redis-server did not answer on port ${port}:\n${log}`);
    const gone = await Promise.race([exited, new Promise<boolean>((r) => setTimeout(r, 50, false))]);
    if (gone) throw new Error(`TLS redis-server exited before answering on port ${port}:\n${log}`);
  }
  return {
    port,
    password,
    url: `rediss://:${encodeURIComponent(password)}@localhost:${port}`,
    caFile: files.ca,
    log: () => log,
    authFailures: async () => {
      const client = new Redis({ host: 'localhost', port, password, tls: { ca }, lazyConnect: true });
      try {
        await client.connect();
        // Redis folds repeats of one refusal into one entry with a count.
        const entries = (await client.call('ACL', 'LOG', '128')) as unknown[][];
        return entries
          .map((e) =>
            Object.fromEntries(
              Array.from({ length: e.length / 2 }, (_, i): [string, unknown] => [
                String(e[2 * i]),
                e[2 * i + 1],
              ]),
            ),
          )
          .filter((e) => e.reason === 'auth')
          .reduce((sum, e) => sum + Number(e.count), 0);
      } finally {
        client.disconnect();
      }
    },
  };
}
