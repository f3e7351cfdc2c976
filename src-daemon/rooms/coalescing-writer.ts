/**
 * Collects doc mutations from kernel traffic and applies them as one change per frame.
 * The first mutation after a quiet period goes out on the next tick (low latency for a
 * single `w.value = x`); a burst is batched so at most one change is made per frame
 * (DESIGN.md: "one doc change per ~frame, not per message").
 */
export const FRAME_MS = 16;

export class CoalescingWriter<D> {
  private ops: ((d: D) => void)[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private lastFlush = 0;

  constructor(
    private readonly apply: (ops: ((d: D) => void)[]) => void,
    private readonly frameMs = FRAME_MS,
  ) {}

  enqueue(op: (d: D) => void): void {
    this.ops.push(op);
    if (this.timer) return;
    const wait = this.lastFlush + this.frameMs - Date.now();
    this.timer = wait <= 0 ? setImmediate(() => this.flushNow()) : setTimeout(() => this.flushNow(), wait);
  }

  flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.lastFlush = Date.now();
    this.apply(ops);
  }

  get pending(): number {
    return this.ops.length;
  }
}
