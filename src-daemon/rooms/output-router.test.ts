import { describe, expect, it } from 'vitest';
import type { JupyterMessage } from '../../src-shared/jupyter/messages';
import { OutputRouter, isOutputMessage, toNbOutput, type OutputJson, type OutputTarget } from './output-router';

let msgCounter = 0;

function msg(msgType: string, content: Record<string, unknown>): JupyterMessage {
  msgCounter++;
  return {
    channel: 'iopub',
    header: {
      msg_id: `m${msgCounter}`,
      msg_type: msgType,
      session: 's',
      username: 'u',
      date: '2024-01-01T00:00:00.000Z',
      version: '5.3',
    },
    parent_header: { msg_id: 'exec-1', msg_type: 'execute_request' },
    metadata: {},
    content,
    buffers: [],
  };
}

const stream = (name: 'stdout' | 'stderr', text: string) => msg('stream', { name, text });
const display = (data: Record<string, unknown>, displayId?: string) =>
  msg('display_data', { data, metadata: {}, ...(displayId ? { transient: { display_id: displayId } } : {}) });
const updateDisplay = (data: Record<string, unknown>, displayId: string) =>
  msg('update_display_data', { data, metadata: { updated: true }, transient: { display_id: displayId } });
const clearOutput = (wait: boolean) => msg('clear_output', { wait });

class MemoryTarget implements OutputTarget {
  outputs: OutputJson[] = [];
  ops: string[] = [];
  constructor(readonly key: string) {}
  count(): number {
    return this.outputs.length;
  }
  get(index: number): OutputJson | undefined {
    return this.outputs[index];
  }
  append(output: OutputJson): number {
    this.ops.push('append');
    this.outputs.push(output);
    return this.outputs.length - 1;
  }
  replace(index: number, output: OutputJson): void {
    this.ops.push(`replace ${index}`);
    this.outputs[index] = output;
  }
  clear(): void {
    this.ops.push('clear');
    this.outputs = [];
  }
}

function setup(key = 'cell-1') {
  const router = new OutputRouter();
  const target = new MemoryTarget(key);
  const apply = (m: JupyterMessage, t: MemoryTarget = target) => router.apply(m, t, () => t);
  return { router, target, apply };
}

describe('stream coalescing', () => {
  it('consecutive streams with the same name merge into one output', () => {
    const { target, apply } = setup();
    apply(stream('stdout', 'a'));
    apply(stream('stdout', 'b\n'));
    apply(stream('stdout', 'c'));
    expect(target.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'ab\nc' }]);
  });

  it('a stream with a different name appends a new output', () => {
    const { target, apply } = setup();
    apply(stream('stdout', 'out1'));
    apply(stream('stderr', 'err'));
    apply(stream('stdout', 'out2'));
    expect(target.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'out1' },
      { output_type: 'stream', name: 'stderr', text: 'err' },
      { output_type: 'stream', name: 'stdout', text: 'out2' },
    ]);
  });

  it('a stream after a non-stream output appends rather than merging across it', () => {
    const { target, apply } = setup();
    apply(stream('stdout', 'a'));
    apply(display({ 'text/plain': 'x' }));
    apply(stream('stdout', 'b'));
    expect(target.outputs.map((o) => o.output_type)).toEqual(['stream', 'display_data', 'stream']);
    expect(target.outputs[2]).toEqual({ output_type: 'stream', name: 'stdout', text: 'b' });
  });
});

describe('clear_output', () => {
  it('wait=false clears at once', () => {
    const { target, apply } = setup();
    apply(stream('stdout', 'a'));
    apply(clearOutput(false));
    expect(target.outputs).toEqual([]);
  });

  it('wait=true keeps the outputs until the next output, then replaces them', () => {
    const { target, apply } = setup();
    apply(stream('stdout', 'old'));
    apply(clearOutput(true));
    expect(target.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'old' }]);
    apply(stream('stdout', 'new'));
    // Not merged into the cleared "old" stream.
    expect(target.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'new' }]);
    // The pending clear is used up: later output appends/merges normally.
    apply(stream('stdout', '!'));
    apply(display({ 'text/plain': 'd' }));
    expect(target.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'new!' },
      { output_type: 'display_data', data: { 'text/plain': 'd' }, metadata: {} },
    ]);
  });

  it('wait=true on one target does not clear another target', () => {
    const { apply } = setup();
    const a = new MemoryTarget('a');
    const b = new MemoryTarget('b');
    apply(stream('stdout', 'a1'), a);
    apply(stream('stdout', 'b1'), b);
    apply(clearOutput(true), a);
    apply(stream('stdout', 'b2'), b);
    expect(b.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'b1b2' }]);
    expect(a.outputs).toHaveLength(1);
    apply(stream('stderr', 'a2'), a);
    expect(a.outputs).toEqual([{ output_type: 'stream', name: 'stderr', text: 'a2' }]);
  });

  it('a display update does not trigger a pending wait=true clear', () => {
    const { target, apply } = setup();
    apply(display({ 'text/plain': 'v1' }, 'd1'));
    apply(clearOutput(true));
    apply(updateDisplay({ 'text/plain': 'v2' }, 'd1'));
    expect(target.outputs).toHaveLength(1);
    expect(target.outputs[0]!.data).toEqual({ 'text/plain': 'v2' });
  });
});

describe('update_display_data', () => {
  it('updates every output with that display_id and leaves others alone', () => {
    const { target, apply } = setup();
    apply(display({ 'text/plain': 'v1' }, 'd1'));
    apply(display({ 'text/plain': 'other' }, 'd2'));
    apply(display({ 'text/plain': 'v1 again' }, 'd1'));
    apply(updateDisplay({ 'text/plain': 'v2' }, 'd1'));
    expect(target.outputs).toEqual([
      { output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: { updated: true } },
      { output_type: 'display_data', data: { 'text/plain': 'other' }, metadata: {} },
      { output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: { updated: true } },
    ]);
  });

  it('updates displays across two targets, re-finding each target through its ref', () => {
    const router = new OutputRouter();
    let cell1 = new MemoryTarget('cell-1');
    const cell2 = new MemoryTarget('cell-2');
    router.apply(display({ 'text/plain': 'v1' }, 'shared'), cell1, () => cell1);
    router.apply(stream('stdout', 'x'), cell2, () => cell2);
    router.apply(display({ 'text/plain': 'v1' }, 'shared'), cell2, () => cell2);
    // The ref is called at update time: a new object for the same target must be used.
    const moved = new MemoryTarget('cell-1');
    moved.outputs = [...cell1.outputs];
    cell1 = moved;
    router.apply(updateDisplay({ 'text/plain': 'v2' }, 'shared'), cell2, () => cell2);
    expect(cell1.outputs[0]!.data).toEqual({ 'text/plain': 'v2' });
    expect(cell2.outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: 'x' });
    expect(cell2.outputs[1]!.data).toEqual({ 'text/plain': 'v2' });
  });

  it('an update keeps output_type and execution_count of an execute_result', () => {
    const { target, apply } = setup();
    apply(
      msg('execute_result', { data: { 'text/plain': '1' }, metadata: {}, execution_count: 4, transient: { display_id: 'r' } }),
    );
    apply(updateDisplay({ 'text/plain': '2' }, 'r'));
    expect(target.outputs).toEqual([
      { output_type: 'execute_result', data: { 'text/plain': '2' }, metadata: { updated: true }, execution_count: 4 },
    ]);
  });

  it('an update for an unknown display_id changes nothing', () => {
    const { target, apply } = setup();
    apply(display({ 'text/plain': 'v1' }, 'd1'));
    apply(updateDisplay({ 'text/plain': 'v2' }, 'nope'));
    expect(target.outputs[0]!.data).toEqual({ 'text/plain': 'v1' });
    expect(target.ops).toEqual(['append']);
  });

  it('a cleared target no longer receives updates, even after new outputs arrive', () => {
    const { target, apply } = setup();
    apply(display({ 'text/plain': 'v1' }, 'd1'));
    apply(clearOutput(false));
    apply(display({ 'text/plain': 'unrelated' }));
    apply(updateDisplay({ 'text/plain': 'v2' }, 'd1'));
    expect(target.outputs).toEqual([{ output_type: 'display_data', data: { 'text/plain': 'unrelated' }, metadata: {} }]);
  });

  it('the transient display_id is not written into the output', () => {
    const { target, apply } = setup();
    apply(display({ 'text/plain': 'v1' }, 'd1'));
    expect(target.outputs[0]).not.toHaveProperty('transient');
  });
});

describe('conversion to nbformat outputs', () => {
  it('error keeps ename, evalue and a string traceback', () => {
    const { target, apply } = setup();
    apply(msg('error', { ename: 'ValueError', evalue: 'bad', traceback: ['line 1', 2] }));
    expect(target.outputs).toEqual([{ output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['line 1', '2'] }]);
  });

  it('error with missing fields gets defaults', () => {
    expect(toNbOutput(msg('error', {}))).toEqual({ output_type: 'error', ename: 'Error', evalue: '', traceback: [] });
  });

  it('execute_result keeps data, metadata and execution_count', () => {
    expect(
      toNbOutput(msg('execute_result', { data: { 'text/plain': '42' }, metadata: { m: 1 }, execution_count: 7 })),
    ).toEqual({ output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: { m: 1 }, execution_count: 7 });
  });

  it('execute_result without a numeric execution_count gets null', () => {
    expect(toNbOutput(msg('execute_result', { data: {}, metadata: {} }))).toMatchObject({ execution_count: null });
  });

  it('non-output messages are not outputs and do not touch the target', () => {
    const { target, apply } = setup();
    apply(msg('status', { execution_state: 'busy' }));
    apply(msg('execute_input', { code: 'x', execution_count: 1 }));
    expect(target.outputs).toEqual([]);
    expect(toNbOutput(msg('status', {}))).toBeNull();
    expect(isOutputMessage('status')).toBe(false);
    for (const t of ['stream', 'display_data', 'execute_result', 'error', 'clear_output', 'update_display_data']) {
      expect(isOutputMessage(t)).toBe(true);
    }
  });
});
