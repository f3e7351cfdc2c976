/**
 * The kernel's execution state as users mean it: is it running their code?
 *
 * ipykernel publishes busy/idle around every request, control ones included, and answers
 * control on a thread of its own. So an interrupt_request, or the kernel_info_request a
 * re-adopting daemon sends on control, gets its own busy/idle pair while a cell still runs,
 * and taking the last status as the state showed that kernel idle mid-cell (JupyterLab's
 * status bar had the same bug). Statuses whose parent is such a request are ignored, as
 * jupyter_server does (`untracked_message_types`); the last of the others is the state.
 * Counting busy per parent instead could stick at busy forever once one idle was dropped
 * (iopub-limit.ts).
 */
import type { JupyterMessage, KernelStatus } from '../../src-shared/jupyter/messages';

/** Requests that are about the kernel, not the user's code. */
const UNTRACKED_PARENTS = new Set([
  'kernel_info_request',
  'comm_info_request',
  'interrupt_request',
  'shutdown_request',
  'debug_request',
  'history_request',
  'usage_request',
]);

/** The state an iopub status message reports, or undefined when it is not one that counts. */
export function executionStateOf(message: JupyterMessage): KernelStatus | undefined {
  if (message.channel !== 'iopub' || message.header.msg_type !== 'status') return undefined;
  const parentType = (message.parent_header as { msg_type?: unknown }).msg_type;
  if (typeof parentType === 'string' && UNTRACKED_PARENTS.has(parentType)) return undefined;
  const state = message.content.execution_state;
  return state === 'busy' || state === 'idle' || state === 'starting' ? state : undefined;
}
