/**
 * Collects doc mutations from kernel traffic and applies them as one change per frame.
 * The first mutation after a quiet period goes out on the next tick (low latency for a
 * single `w.value = x`); a burst is batched so at most one change is made per frame
 * (DESIGN.md: "one doc change per ~frame, not per message").
 *
 * Under backlog the frame grows: when applying a batch took longer than a frame (1000 new
 * widgets: each change also pays Automerge's per-change costs — commit, patch, a sync round
 * per peer), the next batch waits twice that long, up to `maxFrameMs`, so the daemon spends its
 * time on the widgets rather than on per-change overhead. A quiet period resets it.
 */
export const FRAME_MS = 16;
export const MAX_FRAME_MS = 100;

export class CoalescingWriter<D> {
  private ops: ((d: D) => void)[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private lastFlush = 0;
  private window: number;

  /** `onTimer`: the batch's own time came (nothing else is committing in this turn). */
  constructor(
    private readonly apply: (ops: ((d: D) => void)[], onTimer: boolean) => void,
    private readonly frameMs = FRAME_MS,
    private readonly maxFrameMs = Math.max(frameMs, MAX_FRAME_MS),
  ) {
    this.window = frameMs;
  }

  enqueue(op: (d: D) => void): void {
    this.ops.push(op);
    if (this.timer) return;
    const now = Date.now();
    // Quiet for longer than the grown window: back to one frame.
    if (now - this.lastFlush > this.window) this.window = this.frameMs;
    const wait = this.lastFlush + this.window - now;
    this.timer = wait <= 0 ? setImmediate(() => this.flush(true)) : setTimeout(() => this.flush(true), wait);
  }

  /** Applies what is pending now: a caller about to make a change of its own, or to read the doc. */
  flushNow(): void {
    this.flush(false);
  }

  private flush(onTimer: boolean): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    const started = Date.now();
    try {
      this.apply(ops, onTimer);
    } finally {
      const took = Date.now() - started;
      this.lastFlush = Date.now();
      this.window = took > this.frameMs ? Math.min(this.maxFrameMs, 2 * took) : this.frameMs;
    }
  }

  /** The current batching interval in ms (grows under backlog). */
  get frame(): number {
    return this.window;
  }

  get pending(): number {
    return this.ops.length;
  }
}
