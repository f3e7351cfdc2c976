import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHopTrace } from '../hop-trace';

/**
 * With QUIRE_HOP_TRACE set (by `npm run bench -- --trace-hops`), records this process's hop
 * marks into `<that dir>/<role>-<pid>.trace` until it exits. Otherwise does nothing.
 */
export function traceHopsToFileFromEnv(role: 'daemon' | 'host', env: NodeJS.ProcessEnv = process.env): void {
  const dir = env.QUIRE_HOP_TRACE;
  if (dir) process.once('exit', startHopTrace((lines) => appendFileSync(join(dir, `${role}-${process.pid}.trace`), lines)));
}
