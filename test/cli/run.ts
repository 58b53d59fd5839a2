import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(ROOT, 'src/cli/main.ts');
// Resolved here, not by the child: a command run in a temp dir must still find tsx.
export const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The real CLI in a child process, as a user runs it. */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const child = spawnCli(args, options);
  return collect(child);
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** A config file (JSON is YAML) in a fresh temp dir, removed by `cleanup`. */
export function writeConfig(config: unknown): { file: string; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-cli-'));
  const file = join(dir, 'hookgate.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** The first stdout line matching the readiness pattern. */
  readyLine: string;
}

/**
 * A long-running command (`worker`, `serve`, `dev`) as a real process; resolves
 * once a stdout line matches `ready` (it logs JSON at info level).
 */
export async function startCli(
  args: string[],
  ready: RegExp,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningCli> {
  const child = spawnCli(args, options);
  const done = collect(child);
  let seen = '';
  const readyLine = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      seen += d.toString();
      const line = seen.split('\n').find((l) => ready.test(l));
      if (line) {
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    void done.then((r) => reject(new Error(`${args[0]} exited early (${r.code}): ${r.stderr}`)));
  });
  return { child, done, readyLine };
}
