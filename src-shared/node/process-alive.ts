import { readFileSync } from 'node:fs';

/**
 * Whether a process still runs. A zombie does not: it has exited and writes nothing, it only
 * waits for its parent to reap it — and a daemon started by a process that is blocked (the
 * bench's spawnSync of `quire stop`) or by a slow-reaping PID 1 can stay a zombie for long.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): signal 0 is all we can know
  }
}
