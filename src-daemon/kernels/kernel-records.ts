/**
 * Kernel records: one 0600 JSON file per running kernel in `<QUIRE_HOME>/kernels/` (a 0700
 * dir), written when the kernel process starts (and rewritten on restart, when its pid and
 * ports change) and removed when it is shut down or found dead. Kernels run in their own
 * session and outlive a daemon crash; the next daemon reads these records to re-adopt them
 * (kernel-registry.ts). A record holds the connection key, hence 0600 like the connection file.
 *
 * Identity: a pid alone is not proof — after a reboot or a long time it can belong to another
 * process. The record keeps the process's start time (field 22 of /proc/<pid>/stat, in clock
 * ticks since boot) and its argv; a pid is "ours" only while both still match. Without /proc
 * (macOS) identity is unknown: such kernels are only ever reached through the HMAC-signed
 * connection, never signalled.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionInfo } from './connection-file';
import type { KernelOwner, KernelSpec } from './provider';

export const RECORD_VERSION = 1;

export interface KernelRecord {
  version: typeof RECORD_VERSION;
  kernelId: string;
  owner: KernelOwner;
  /** The whole spec, so an adopted kernel can be restarted even if the kernelspec moved. */
  spec: KernelSpec;
  cwd: string;
  pid: number;
  /** /proc/<pid>/stat start time; null where there is no /proc. */
  startTime: string | null;
  cmdline: string[] | null;
  connectionFile: string;
  logFile: string;
  connection: ConnectionInfo;
  daemonPid: number;
  /** When this kernel process started (ms since the epoch). */
  startedAt: number;
}

export interface ProcessIdentity {
  startTime: string;
  cmdline: string[];
  zombie: boolean;
}

/** The identity of a running pid, or null when it is gone. undefined when this OS has no /proc. */
export function processIdentity(pid: number): ProcessIdentity | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        readdirSync('/proc/self');
      } catch {
        return undefined; // no procfs at all
      }
      return null;
    }
    return null;
  }
  // The command name (field 2) is in parentheses and may itself contain ') ': split after the last one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19]; // field 22 overall; fields[] starts at field 3
  if (!startTime) return null;
  let cmdline: string[] = [];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
  } catch {
    // A zombie has an empty cmdline; handled through `zombie`.
  }
  return { startTime, cmdline, zombie: state === 'Z' || state === 'X' };
}

export type Liveness = 'ours' | 'gone' | 'unverifiable';

/** Whether the recorded process still runs and is the same process (not a reused pid). */
export function recordedProcessLiveness(record: Pick<KernelRecord, 'pid' | 'startTime' | 'cmdline'>): Liveness {
  const now = processIdentity(record.pid);
  if (now === undefined) {
    try {
      process.kill(record.pid, 0);
      return 'unverifiable';
    } catch {
      return 'gone'; // ESRCH, or EPERM: then it belongs to another user and is not our kernel
    }
  }
  if (now === null || now.zombie) return 'gone';
  if (record.startTime !== null && now.startTime !== record.startTime) return 'gone';
  if (record.cmdline !== null && now.cmdline.join('\0') !== record.cmdline.join('\0')) return 'gone';
  return record.startTime === null ? 'unverifiable' : 'ours';
}

export class KernelRecords {
  constructor(readonly dir: string) {}

  private file(kernelId: string): string {
    // Ids are our own UUIDs; refuse anything else so a record can never name a path outside dir.
    if (!/^[0-9a-f-]{36}$/.test(kernelId)) throw new Error(`bad kernel id ${JSON.stringify(kernelId)}`);
    return join(this.dir, `${kernelId}.json`);
  }

  write(record: KernelRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const file = this.file(record.kernelId);
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    chmodSync(`${file}.tmp`, 0o600);
    renameSync(`${file}.tmp`, file);
  }

  remove(kernelId: string): void {
    rmSync(this.file(kernelId), { force: true });
  }

  /** Every readable record; unreadable or foreign files are reported through `onBad` and removed. */
  list(onBad: (file: string, why: string) => void): KernelRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const records: KernelRecord[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        rmSync(file, { force: true }); // a write cut short by a crash
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const record = parseRecord(JSON.parse(readFileSync(file, 'utf8')));
        if (`${record.kernelId}.json` !== name) throw new Error('file name does not match its kernelId');
        records.push(record);
      } catch (err) {
        onBad(file, (err as Error).message);
        rmSync(file, { force: true });
      }
    }
    return records;
  }
}

function parseRecord(raw: unknown): KernelRecord {
  const r = raw as Partial<KernelRecord> | null;
  if (!r || typeof r !== 'object') throw new Error('not an object');
  if (r.version !== RECORD_VERSION) throw new Error(`unknown record version ${String(r.version)}`);
  const ok =
    typeof r.kernelId === 'string' &&
    typeof r.pid === 'number' &&
    Number.isInteger(r.pid) &&
    r.pid > 1 &&
    typeof r.owner?.roomId === 'string' &&
    typeof r.owner.notebookPath === 'string' &&
    typeof r.spec?.name === 'string' &&
    Array.isArray(r.spec.argv) &&
    typeof r.cwd === 'string' &&
    typeof r.connectionFile === 'string' &&
    typeof r.logFile === 'string' &&
    typeof r.connection?.key === 'string' &&
    typeof r.connection.ip === 'string' &&
    [r.connection.shell_port, r.connection.iopub_port, r.connection.stdin_port, r.connection.control_port, r.connection.hb_port].every(
      (p) => typeof p === 'number',
    ) &&
    (r.startTime === null || typeof r.startTime === 'string') &&
    (r.cmdline === null || Array.isArray(r.cmdline));
  if (!ok) throw new Error('missing or mistyped fields');
  return r as KernelRecord;
}
