/**
 * KernelProvider for kernels on this machine: kernelspecs from disk, processes we spawn,
 * ZeroMQ sockets we connect. See local-kernel-connection.ts for the per-kernel life cycle.
 */
import { findKernelSpecs } from './kernelspecs';
import { KernelRecords } from './kernel-records';
import { DEFAULT_ORPHAN_KERNEL_MS, KernelRegistry } from './kernel-registry';
import { LocalKernelConnection } from './local-kernel-connection';
import { consoleKernelLogger, type KernelLogger } from './logger';
import type { KernelProvider, KernelSpec, LaunchOptions } from './provider';

export interface LocalKernelProviderOptions {
  /** Private directory (created 0700) for connection files and kernel logs. */
  runtimeDir: string;
  /** Environment prefixes (a venv, sys.prefix) to search for kernelspecs. */
  prefixes?: string[];
  logger?: KernelLogger;
  /** Picks a new kernel's five ports (default: free ones, ports.ts); for tests. */
  findPorts?: (count: number, host: string) => Promise<number[]>;
  /** Heartbeat ping period; default 1 s. */
  heartbeatIntervalMs?: number;
  /** Kernel declared dead after this long without a heartbeat reply; default 3 s (three missed pings). */
  heartbeatTimeoutMs?: number;
  /**
   * Private directory (0700) for the records of running kernels, so a kernel that outlives a
   * daemon crash can be re-adopted (kernel-registry.ts). Without it kernels are not recorded.
   */
  recordsDir?: string;
  /** An adopted kernel whose notebook is not reopened within this long is shut down; default 10 min. */
  orphanTimeoutMs?: number;
}

export class LocalKernelProvider implements KernelProvider {
  private readonly logger: KernelLogger;
  private readonly records: KernelRecords | undefined;
  private readonly registry: KernelRegistry | undefined;

  constructor(private readonly options: LocalKernelProviderOptions) {
    this.logger = options.logger ?? consoleKernelLogger;
    this.records = options.recordsDir ? new KernelRecords(options.recordsDir) : undefined;
    const records = this.records;
    this.registry = records
      ? new KernelRegistry({
          records,
          logger: this.logger,
          orphanTimeoutMs: options.orphanTimeoutMs ?? DEFAULT_ORPHAN_KERNEL_MS,
          connectionFor: (record) =>
            new LocalKernelConnection({
              spec: record.spec,
              launch: { cwd: record.cwd, owner: record.owner },
              runtimeDir: options.runtimeDir,
              logger: this.logger,
              heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
              heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 3_000,
              records,
              adopt: record,
            }),
        })
      : undefined;
  }

  /** Re-adopts the kernels a previous (crashed) daemon left running; see kernel-registry.ts. */
  recoverSurvivors(): Promise<void> {
    return this.registry?.recover() ?? Promise.resolve();
  }

  async claimSurvivor(roomId: string): Promise<LocalKernelConnection | null> {
    return (await this.registry?.claim(roomId)) ?? null;
  }

  async shutdownUnclaimed(): Promise<void> {
    await this.registry?.shutdownUnclaimed();
  }

  listSpecs(): Promise<KernelSpec[]> {
    return findKernelSpecs({ prefixes: this.options.prefixes ?? [], logger: this.logger });
  }

  async launch(spec: KernelSpec, options: LaunchOptions, signal?: AbortSignal): Promise<LocalKernelConnection> {
    signal?.throwIfAborted();
    const connection = new LocalKernelConnection({
      spec,
      launch: options,
      runtimeDir: this.options.runtimeDir,
      logger: this.logger,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1_000,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs ?? 3_000,
      records: this.records,
      findPorts: this.options.findPorts,
    });
    // shutdown() cancels a start in progress and cleans up after it.
    const cancel = () => void connection.shutdown();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      await connection.start();
    } catch (error) {
      if (signal?.aborted) await connection.shutdown(); // its cleanup is done when the caller hears
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    return connection;
  }
}

export { KernelStartError, LocalKernelConnection } from './local-kernel-connection';
