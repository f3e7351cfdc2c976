/**
 * Kernels that outlive a daemon crash, and what the next daemon does with them.
 *
 * Kernels run in their own session (kernel-process.ts) without JPY_PARENT_PID, so a SIGKILLed
 * daemon does not take them along, and each has a record (kernel-records.ts). At start the
 * daemon calls `recover()`:
 *  - record whose process is gone, or whose pid now belongs to another process (start time /
 *    argv differ): the record, connection file and log are removed; nothing is signalled.
 *  - live kernel: re-adopted over its ports with its key (heartbeat ping, then kernel_info on
 *    the control channel, which a kernel busy running a cell still answers). It waits for its
 *    notebook: `claim(roomId)` hands it to the room that opens that notebook.
 *  - live process that does not answer: shut down (shutdown_request, then SIGTERM/SIGKILL
 *    to its process group — only after its identity was verified).
 * Orphan policy: an adopted kernel whose notebook is not reopened within `orphanTimeoutMs`
 * (QUIRE_ORPHAN_KERNEL_MS, default 10 minutes) of the daemon's start is shut down, as are all
 * unclaimed ones on a clean daemon stop. So a kernel outlives its daemon only until the next
 * daemon has run for that long; a kernel whose daemon never comes back runs until one does.
 */
import { rmSync } from 'node:fs';
import type { KernelLogger } from './logger';
import type { LocalKernelConnection } from './local-kernel-connection';
import { recordedProcessLiveness, type KernelRecord, type KernelRecords } from './kernel-records';

export const DEFAULT_ORPHAN_KERNEL_MS = 10 * 60_000;

interface Survivor {
  connection: LocalKernelConnection;
  record: KernelRecord;
  timer: NodeJS.Timeout;
  unwatch: () => void;
}

export interface KernelRegistryOptions {
  records: KernelRecords;
  logger: KernelLogger;
  orphanTimeoutMs: number;
  /** Builds the connection object that re-adopts one record's kernel. */
  connectionFor(record: KernelRecord): LocalKernelConnection;
}

export class KernelRegistry {
  private recovery: Promise<void> | null = null;
  private readonly survivors = new Map<string, Survivor>();
  private stopped = false;

  constructor(private readonly options: KernelRegistryOptions) {}

  /** Reads the records and re-adopts every live kernel. Idempotent; claim() waits for it. */
  recover(): Promise<void> {
    this.recovery ??= this.runRecovery().catch((error: unknown) => {
      this.options.logger.error(`Re-adopting kernels failed: ${(error as Error).stack ?? String(error)}`);
    });
    return this.recovery;
  }

  /** The re-adopted kernel of this notebook, once; the caller owns it from then on. */
  async claim(roomId: string): Promise<LocalKernelConnection | null> {
    await this.recovery;
    const survivor = this.survivors.get(roomId);
    if (!survivor) return null;
    this.release(roomId, survivor);
    if (survivor.connection.status === 'dead') return null;
    this.options.logger.info(`Kernel ${survivor.record.kernelId} (pid ${survivor.record.pid}) re-attached to ${survivor.record.owner.notebookPath}`);
    return survivor.connection;
  }

  /** Shuts down every adopted kernel nobody claimed (clean daemon stop). */
  async shutdownUnclaimed(): Promise<void> {
    this.stopped = true;
    await this.recovery;
    await Promise.allSettled(
      [...this.survivors.entries()].map(async ([roomId, survivor]) => {
        this.release(roomId, survivor);
        await survivor.connection.shutdown();
      }),
    );
  }

  /** Room ids with an adopted kernel waiting for its notebook (for status and tests). */
  pendingRooms(): string[] {
    return [...this.survivors.keys()];
  }

  private release(roomId: string, survivor: Survivor): void {
    clearTimeout(survivor.timer);
    survivor.unwatch();
    this.survivors.delete(roomId);
  }

  private async runRecovery(): Promise<void> {
    const { records, logger } = this.options;
    const all = records.list((file, why) => logger.warn(`Ignoring unreadable kernel record ${file}: ${why}`));
    const live: KernelRecord[] = [];
    for (const record of all) {
      const liveness = recordedProcessLiveness(record);
      if (liveness === 'gone') {
        logger.info(`Kernel ${record.kernelId} of ${record.owner.notebookPath} (pid ${record.pid}) is gone; removing its record`);
        this.forget(record, { keepLog: false });
      } else live.push(record);
    }
    // Newest first: if one notebook somehow has two live kernels, the newer one is adopted.
    live.sort((a, b) => b.startedAt - a.startedAt);
    const wanted = new Set<string>();
    await Promise.allSettled(
      live.map(async (record) => {
        const connection = this.options.connectionFor(record);
        const duplicate = wanted.has(record.owner.roomId);
        wanted.add(record.owner.roomId);
        try {
          await connection.adoptRunning();
        } catch (error) {
          logger.warn(
            `Kernel ${record.kernelId} of ${record.owner.notebookPath} (pid ${record.pid}) survived the daemon but does not answer; shutting it down: ${(error as Error).message}`,
          );
          await connection.shutdown().catch(() => {});
          return;
        }
        if (duplicate || this.stopped || this.survivors.has(record.owner.roomId)) {
          logger.warn(`Kernel ${record.kernelId} is a second kernel for ${record.owner.notebookPath}; shutting it down`);
          await connection.shutdown().catch(() => {});
          return;
        }
        logger.info(
          `Re-adopted kernel ${record.kernelId} (${record.spec.name}, pid ${record.pid}) of ${record.owner.notebookPath}; it waits ${Math.round(this.options.orphanTimeoutMs / 1000)} s for its notebook`,
        );
        this.hold(record, connection);
      }),
    );
  }

  private hold(record: KernelRecord, connection: LocalKernelConnection): void {
    const roomId = record.owner.roomId;
    const timer = setTimeout(() => {
      const survivor = this.survivors.get(roomId);
      if (survivor?.connection !== connection) return;
      this.release(roomId, survivor);
      this.options.logger.info(
        `Kernel ${record.kernelId} of ${record.owner.notebookPath} was not reopened within ${Math.round(this.options.orphanTimeoutMs / 1000)} s; shutting it down`,
      );
      void connection.shutdown().catch(() => {});
    }, this.options.orphanTimeoutMs);
    // The orphan timer alone must not keep a stopping daemon alive.
    timer.unref();
    const unwatch = connection.onEvent((event) => {
      if (event.type !== 'status' || event.status !== 'dead') return;
      const survivor = this.survivors.get(roomId);
      if (survivor?.connection === connection) {
        this.options.logger.warn(`Re-adopted kernel ${record.kernelId} died before its notebook was reopened`);
        this.release(roomId, survivor);
      }
    });
    this.survivors.set(roomId, { connection, record, timer, unwatch });
  }

  private forget(record: KernelRecord, { keepLog }: { keepLog: boolean }): void {
    try {
      this.options.records.remove(record.kernelId);
      rmSync(record.connectionFile, { force: true });
      if (!keepLog) rmSync(record.logFile, { force: true });
    } catch (error) {
      this.options.logger.warn(`Could not remove the files of kernel ${record.kernelId}: ${(error as Error).message}`);
    }
  }
}
