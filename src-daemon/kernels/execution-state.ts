/**
 * The kernel's execution state from its iopub status messages, counted per parent request.
 *
 * ipykernel publishes busy/idle around every request, control ones included, and handles
 * control on a thread of its own: an interrupt_request or a kernel_info_request on control
 * (as a re-adopting daemon sends) gets its own busy/idle while a cell is still running. Taking
 * the last message as the state would show that kernel idle mid-cell. So the kernel is busy
 * while any request it said busy for has not said idle yet (jupyter_server tracks it the same
 * way; JupyterLab's status bar had this bug).
 */
import type { KernelStatus } from '../../src-shared/jupyter/messages';

export class ExecutionStateTracker {
  private readonly busyParents = new Set<string>();
  private starting = false;

  /** A new kernel process: nothing it is busy with yet. */
  reset(): void {
    this.busyParents.clear();
    this.starting = false;
  }

  /** Takes one status message; returns the kernel's state after it, or undefined if `state` is not one. */
  observe(parentMsgId: unknown, state: unknown): KernelStatus | undefined {
    const parent = typeof parentMsgId === 'string' ? parentMsgId : '';
    if (state === 'starting') {
      this.starting = true;
      return 'starting';
    }
    if (state === 'busy') this.busyParents.add(parent);
    else if (state === 'idle') this.busyParents.delete(parent);
    else return undefined;
    this.starting = false;
    return this.state;
  }

  /** Idle until the kernel says otherwise. */
  get state(): KernelStatus {
    if (this.starting) return 'starting';
    return this.busyParents.size > 0 ? 'busy' : 'idle';
  }
}
