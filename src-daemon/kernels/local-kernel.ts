/**
 * KernelProvider for kernels on this machine: kernelspecs from disk, processes we spawn,
 * ZeroMQ sockets we connect. See local-kernel-connection.ts for the per-kernel life cycle.
 */
import { findKernelSpecs } from './kernelspecs';
import { LocalKernelConnection } from './local-kernel-connection';
import { consoleKernelLogger, type KernelLogger } from './logger';
import type { KernelProvider, KernelSpec, LaunchOptions } from './provider';

export interface LocalKernelProviderOptions {
  /** Private directory (created 0700) for connection files and kernel logs. */
  runtimeDir: string;
  /** Environment prefixes (a venv, sys.prefix) to search for kernelspecs. */
  prefixes?: string[];
  logger?: KernelLogger;
  /** Heartbeat ping period; default 1 s. */
  heartbeatIntervalMs?: number;
  /** Kernel declared dead after this long without a heartbeat reply; default 3 s (three missed pings). */
  heartbeatTimeoutMs?: number;
}

export class LocalKernelProvider implements KernelProvider {
  private readonly logger: KernelLogger;

  constructor(private readonly options: LocalKernelProviderOptions) {
    this.logger = options.logger ?? consoleKernelLogger;
  }

  listSpecs(): Promise<KernelSpec[]> {
    return findKernelSpecs({ prefixes: this.options.prefixes ?? [], logger: this.logger });
  }

  async launch(spec: KernelSpec, options: LaunchOptions): Promise<LocalKernelConnection> {
    const connection = new LocalKernelConnection({
      spec,
      launch: options,
      runtimeDir: this.options.runtimeDir,
      logger: this.logger,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1_000,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs ?? 3_000,
    });
    await connection.start();
    return connection;
  }
}

export { KernelStartError, LocalKernelConnection } from './local-kernel-connection';
