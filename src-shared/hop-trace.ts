/**
 * Where a widget update is on its way from the kernel to a window's DOM. Each process on the
 * path marks the moment the update passes one of its hops; `npm run bench -- --trace-hops`
 * lines the marks up, update by update (bench/lib/hops.mjs), and prints how long each hop took.
 * That is how the latency of scenario 1 was taken apart (bench/README.md).
 *
 * Off unless a process's entry point starts it (the daemon and `quire serve` read
 * QUIRE_HOP_TRACE; a browser-host page looks for the bench's `__quireHopTrace` array). When off, a
 * mark is one null check. When on, a mark is a clock read and a string in a buffer, written out
 * by the caller's `flush` every `everyMs`, off the update's path.
 *
 * Written by hand: Node's and the browser's `performance.mark` keep entries in a global timeline
 * that has to be observed and cleared per process, and neither writes anything down.
 */
export type Hop =
  | 'daemon:iopub-frame'
  | 'daemon:comm-update'
  | 'daemon:commit-start'
  | 'daemon:committed'
  | 'daemon:sync-ready'
  | 'replica:sync-received'
  | 'replica:sync-applied'
  | 'host:event-ready'
  | 'window:comms-event';

let buffer: string[] | null = null;

/**
 * Marks `hop` now. `key` is what joins marks of one update across processes where the process
 * can see it (the numeric value a kernel set); other marks are joined by time order. A mark
 * goes before a send, not after: waking the receiver can preempt the sender (seen: 8 ms), and
 * the sender's mark would then count the receiver's work.
 */
export function traceHop(hop: Hop, key?: unknown): void {
  if (!buffer) return;
  // Wall clock with sub-ms precision: the clock Python's time.time() and every page share.
  buffer.push(`${hop} ${typeof key === 'number' ? key : '-'} ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`);
}

/** Starts recording; `flush` gets the lines recorded since its last call. Returns `stop`, which flushes. */
export function startHopTrace(flush: (lines: string) => void, everyMs = 500): () => void {
  const lines: string[] = [];
  buffer = lines;
  const drain = () => {
    if (lines.length) flush(lines.splice(0).join(''));
  };
  const timer = setInterval(drain, everyMs);
  // A trace must not keep a Node process alive (browsers have no unref).
  (timer as { unref?: () => void }).unref?.();
  return () => {
    clearInterval(timer);
    drain();
    if (buffer === lines) buffer = null;
  };
}
