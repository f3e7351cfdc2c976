import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { CoalescingWriter, FRAME_MS, MAX_FRAME_MS } from './coalescing-writer';

type Log = string[];

function recorder() {
  const calls: string[][] = [];
  const log: Log = [];
  const writer = new CoalescingWriter<Log>((ops) => {
    const before = log.length;
    for (const op of ops) op(log);
    calls.push(log.slice(before));
  });
  const push = (s: string) => writer.enqueue((d) => void d.push(s));
  return { calls, writer, push };
}

// Real timers: the writer clears its handle with both clearTimeout and clearImmediate,
// which Node tolerates but @sinonjs fake timers reject, so fake timers cannot drive it.
const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('CoalescingWriter timing', () => {
  it('a burst inside one tick is applied once, with ops in order, on the next tick', async () => {
    const { calls, writer, push } = recorder();
    push('a');
    push('b');
    push('c');
    expect(calls).toEqual([]);
    expect(writer.pending).toBe(3);
    await nextTick();
    await nextTick();
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(writer.pending).toBe(0);
  });

  it('flushNow applies immediately, and the scheduled flush then does nothing', async () => {
    const { calls, writer, push } = recorder();
    push('a');
    push('b');
    writer.flushNow();
    expect(calls).toEqual([['a', 'b']]);
    await sleep(40);
    expect(calls).toHaveLength(1);
  });

  it('flushNow with nothing queued does not call apply', () => {
    const { calls, writer } = recorder();
    writer.flushNow();
    expect(calls).toEqual([]);
  });

  it('after a flush, the next enqueue within the frame waits for the frame boundary', async () => {
    const { calls, writer, push } = recorder();
    push('a');
    writer.flushNow();
    const flushedAt = performance.now();
    push('b');
    push('c');
    await nextTick();
    await nextTick();
    expect(calls).toEqual([['a']]);
    expect(writer.pending).toBe(2);
    while (calls.length < 2 && performance.now() - flushedAt < 500) await sleep(1);
    const elapsed = performance.now() - flushedAt;
    expect(calls).toEqual([['a'], ['b', 'c']]);
    // Generous bounds: about one frame (timer granularity), not absurdly late.
    expect(elapsed).toBeGreaterThanOrEqual(FRAME_MS - 2);
    expect(elapsed).toBeLessThan(250);
  });

  it('a steady stream of enqueues makes at most one apply per frame and loses nothing', async () => {
    const times: number[] = [];
    const seen: number[] = [];
    const writer = new CoalescingWriter<number[]>((ops) => {
      times.push(performance.now());
      for (const op of ops) op(seen);
    });
    for (let i = 0; i < 60; i++) {
      writer.enqueue((d) => void d.push(i));
      await sleep(1);
    }
    await sleep(FRAME_MS * 3);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(times.length).toBeGreaterThan(1);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(FRAME_MS - 2);
  });

  it('after a quiet period the next enqueue goes out on the next tick again', async () => {
    const { calls, writer, push } = recorder();
    push('a');
    writer.flushNow();
    await sleep(FRAME_MS + 15);
    push('b');
    await nextTick();
    await nextTick();
    expect(calls).toEqual([['a'], ['b']]);
  });

  it("tells apply whether the batch's own timer ran it or a caller flushed it first", async () => {
    const calls: boolean[] = [];
    const writer = new CoalescingWriter<null>((_ops, onTimer) => calls.push(onTimer), 150);
    writer.enqueue(() => {});
    await sleep(20); // the first batch after a quiet period goes on the next turn
    writer.enqueue(() => {});
    writer.flushNow(); // a caller with a change of its own
    expect(calls).toEqual([true, false]);
  });

  it('a custom frame length is honoured', async () => {
    const calls: number[] = [];
    const writer = new CoalescingWriter<null>((ops) => calls.push(ops.length), 150);
    writer.enqueue(() => {});
    writer.flushNow();
    writer.enqueue(() => {});
    await sleep(60);
    expect(calls).toEqual([1]);
    await sleep(250);
    expect(calls).toEqual([1, 1]);
  });
});

describe('CoalescingWriter (real timers, real Automerge)', () => {
  it('a burst of comm updates becomes one Automerge change with the last value winning', async () => {
    let doc = A.from<{ state: Record<string, number> }>({ state: {} });
    const changesBefore = A.getHistory(doc).length;
    const writer = new CoalescingWriter<{ state: Record<string, number> }>((ops) => {
      doc = A.change(doc, (d) => ops.forEach((op) => op(d)));
    });
    for (let i = 1; i <= 50; i++) writer.enqueue((d) => void (d.state.value = i));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(doc.state.value).toBe(50);
    expect(A.getHistory(doc).length - changesBefore).toBe(1);
  });

  it('an enqueue right after a flush is delayed to about the frame boundary', async () => {
    const times: number[] = [];
    const writer = new CoalescingWriter<null>(() => times.push(performance.now()));
    writer.enqueue(() => {});
    writer.flushNow();
    const start = performance.now();
    writer.enqueue(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(times).toHaveLength(2);
    // Generous bounds: not before ~one frame (timer granularity), not absurdly late.
    expect(times[1]! - start).toBeGreaterThanOrEqual(FRAME_MS - 2);
    expect(times[1]! - start).toBeLessThan(150);
  });

  it('a batch that took longer than a frame grows the next wait (capped); a quiet period resets it', async () => {
    const busy = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end);
    };
    let cost = 40;
    const writer = new CoalescingWriter<null>(() => busy(cost));
    writer.enqueue(() => {});
    writer.flushNow();
    expect(writer.frame).toBeGreaterThanOrEqual(2 * 40);
    expect(writer.frame).toBeLessThanOrEqual(MAX_FRAME_MS);
    cost = 500;
    writer.enqueue(() => {});
    writer.flushNow();
    expect(writer.frame).toBe(MAX_FRAME_MS);
    cost = 0;
    await sleep(MAX_FRAME_MS + 20);
    writer.enqueue(() => {});
    expect(writer.frame).toBe(FRAME_MS);
    writer.flushNow();
  });
});
