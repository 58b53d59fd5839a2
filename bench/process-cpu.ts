import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

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
