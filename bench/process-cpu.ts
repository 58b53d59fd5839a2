import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TICKS_PER_SECOND = existsSync('/proc/self/stat')
  ? Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  : 0;

/**
 * User + system CPU time of a process so far, in ms (Linux only; NaN elsewhere).
 * CPU per request is steadier than req/s on a shared machine, so the benches report it.
 */
export function cpuMs(pid: number | undefined): number {
  if (!TICKS_PER_SECOND || pid === undefined) return NaN;
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * The local ports of these processes' TCP sockets (`'self'`: this one), from
 * /proc/<pid>/fd and /proc/net/tcp{,6}: what `pg_stat_activity.client_port` names
 * the backends serving them by.
 */
export function localTcpPorts(pids: (number | 'self' | undefined)[]): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    if (pid === undefined) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
