/**
 * The one interface every kernel backend implements. Rooms talk to kernels only through
 * it, so a local ZeroMQ kernel today and a Jupyter Server / Enterprise Gateway kernel
 * later are interchangeable (DESIGN.md "Contracts at each process edge").
 */
import type {
  JupyterMessage,
  KernelInfo,
  KernelStatus,
  OutgoingMessage,
} from '../../src-shared/jupyter/messages';

/** A kernelspec as found on disk (kernel.json plus where it was found). */
export interface KernelSpec {
  name: string;
  /** Directory holding kernel.json (resources such as logos live beside it). */
  resourceDir: string;
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal' | 'message';
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

/** Which notebook a kernel belongs to; persisted so a kernel that outlives a daemon crash finds its notebook again. */
export interface KernelOwner {
  roomId: string;
  notebookPath: string;
}

export interface LaunchOptions {
  /** Working directory of the kernel process (the notebook's folder). */
  cwd: string;
  owner?: KernelOwner;
  /** Extra environment on top of process.env and the spec's env. */
  env?: Record<string, string>;
}

export type KernelEvent =
  | { type: 'message'; message: JupyterMessage }
  /** Status as seen by the provider: process/heartbeat life plus iopub execution_state. */
  | { type: 'status'; status: KernelStatus; reason?: string };

export interface KernelConnection {
  readonly id: string;
  readonly spec: KernelSpec;
  /** Filled in after the kernel_info handshake. */
  readonly info: KernelInfo | undefined;
  readonly status: KernelStatus;
  /** OS pid of the kernel process when it runs on this machine (changes on restart); undefined otherwise. */
  readonly pid?: number | undefined;
  /** Sends a message; resolves with its msg_id once it is on the wire. */
  send(message: OutgoingMessage): Promise<string>;
  /** Listens to every iopub/shell/stdin/control reply and to status changes. Returns an unsubscribe. */
  onEvent(listener: (event: KernelEvent) => void): () => void;
  interrupt(): Promise<void>;
  /** Restarts the kernel process; the connection object stays the same. */
  restart(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface KernelProvider {
  /** Lists the kernelspecs this provider can launch. */
  listSpecs(): Promise<KernelSpec[]>;
  /**
   * Launches a kernel and completes the kernel_info handshake before resolving. `signal`
   * cancels the start (a shutdown while the kernel starts): the promise then rejects.
   */
  launch(spec: KernelSpec, options: LaunchOptions, signal?: AbortSignal): Promise<KernelConnection>;
  /**
   * A kernel of this notebook that outlived a previous daemon and was re-adopted, handed out
   * once (the caller owns it afterwards); null when there is none. Optional: remote providers
   * keep their kernels on the server anyway.
   */
  claimSurvivor?(roomId: string): Promise<KernelConnection | null>;
  /** Shuts down re-adopted kernels nobody claimed (daemon stop). */
  shutdownUnclaimed?(): Promise<void>;
}
