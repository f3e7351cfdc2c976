/**
 * ipykernel publishes IOPub on a ZeroMQ XPUB socket with the default send limit of 1000
 * queued messages per subscriber, and drops — silently — whatever exceeds it. A cell that
 * makes or closes 1000 widgets sends 1000–3000 messages in a fraction of a second, and on a
 * busy machine the kernel's own I/O thread falls that far behind: comm_opens go missing (a box
 * cannot find its children), comm_closes too (closed widgets stay on screen for good), even the
 * final `idle`. JupyterLab loses them the same way (bench scenario 3, e2e/widget-burst.spec.ts).
 *
 * Quire owns its kernels, so right after the handshake it raises that limit: a silent execute
 * (no execution count, no history, nothing in the user's namespace) asks ipykernel's IOPub
 * thread — the only thread that may touch the socket — to set SNDHWM to IOPUB_HWM; libzmq
 * applies it to the subscriber already connected. The daemon's subscriber queues as many
 * (kernel-sockets.ts). 100k messages is 30+ bursts of 1000 new widgets, yet still a bound: a
 * runaway loop costs the kernel and the daemon at most ~100 MB each, not all memory. Other
 * kernels are left alone.
 */
import type { KernelInfo } from '../../src-shared/jupyter/messages';

/** The kernel is IPython's (ipykernel); only its internals are known here. */
export function isIPythonKernel(info: KernelInfo | undefined): boolean {
  return info?.implementation === 'ipython';
}

/** Messages queued per IOPub subscriber, on both sides (the ZeroMQ default is 1000). */
export const IOPUB_HWM = 100_000;

// Runs in a throwaway globals dict, so the user's namespace never sees a name from it; any
// failure (a future ipykernel without `iopub_thread`, an interrupt) leaves the kernel as it was.
export const LIFT_IOPUB_LIMIT = `exec(${JSON.stringify(
  [
    'try:',
    '    import zmq',
    '    from IPython import get_ipython',
    '    _t = get_ipython().kernel.iopub_thread',
    `    _t.schedule(lambda: _t.socket.setsockopt(zmq.SNDHWM, ${IOPUB_HWM}))`,
    'except BaseException:',
    '    pass',
  ].join('\n'),
)}, {})`;
