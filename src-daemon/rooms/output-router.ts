/**
 * Turns iopub output messages into nbformat outputs on a target: a cell, an Output
 * widget's `outputs` trait, or the result list of a code execution. Handles what
 * JupyterLab's OutputArea handles: stream coalescing, clear_output (with wait), and
 * update_display_data by display_id.
 */
import type { JupyterMessage } from '../../src-shared/jupyter/messages';

export type OutputJson = Record<string, unknown>;

/** Something outputs can be written to. Operations run inside one doc change. */
export interface OutputTarget {
  readonly key: string;
  count(): number;
  get(index: number): OutputJson | undefined;
  append(output: OutputJson): number;
  replace(index: number, output: OutputJson): void;
  clear(): void;
}

const OUTPUT_TYPES = new Set(['stream', 'display_data', 'execute_result', 'error']);

export function isOutputMessage(msgType: string): boolean {
  return OUTPUT_TYPES.has(msgType) || msgType === 'clear_output' || msgType === 'update_display_data';
}

/** Converts an iopub message to an nbformat output, or null when it is not one. */
export function toNbOutput(msg: JupyterMessage): OutputJson | null {
  const c = msg.content as Record<string, unknown>;
  switch (msg.header.msg_type) {
    case 'stream':
      return { output_type: 'stream', name: c.name === 'stderr' ? 'stderr' : 'stdout', text: String(c.text ?? '') };
    case 'display_data':
      return { output_type: 'display_data', data: c.data ?? {}, metadata: c.metadata ?? {} };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        data: c.data ?? {},
        metadata: c.metadata ?? {},
        execution_count: typeof c.execution_count === 'number' ? c.execution_count : null,
      };
    case 'error':
      return {
        output_type: 'error',
        ename: String(c.ename ?? 'Error'),
        evalue: String(c.evalue ?? ''),
        traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
      };
    default:
      return null;
  }
}

function displayIdOf(msg: JupyterMessage): string | undefined {
  const transient = (msg.content as { transient?: { display_id?: unknown } }).transient;
  return typeof transient?.display_id === 'string' ? transient.display_id : undefined;
}

export class OutputRouter {
  /** targets waiting for their next output to clear them (clear_output(wait=True)). */
  private readonly clearPending = new Set<string>();
  /** display_id → places showing it. */
  private readonly displays = new Map<string, Map<string, { target: () => OutputTarget; index: number }>>();

  /** Applies one output message to `target`. `resolve` re-finds targets for display updates. */
  apply(msg: JupyterMessage, target: OutputTarget, targetRef: () => OutputTarget): void {
    const type = msg.header.msg_type;
    if (type === 'clear_output') {
      if ((msg.content as { wait?: unknown }).wait) this.clearPending.add(target.key);
      else this.clear(target);
      return;
    }
    if (type === 'update_display_data') {
      this.updateDisplay(msg);
      return;
    }
    const output = toNbOutput(msg);
    if (!output) return;
    if (this.clearPending.delete(target.key)) this.clear(target);
    if (output.output_type === 'stream') {
      const last = target.count() - 1;
      const prev = last >= 0 ? target.get(last) : undefined;
      if (prev?.output_type === 'stream' && prev.name === output.name) {
        target.replace(last, { ...prev, text: String(prev.text ?? '') + String(output.text) });
        return;
      }
    }
    const index = target.append(output);
    const displayId = displayIdOf(msg);
    if (displayId) {
      const places = this.displays.get(displayId) ?? new Map();
      places.set(`${target.key}#${index}`, { target: targetRef, index });
      this.displays.set(displayId, places);
    }
  }

  /** The target's outputs are about to be cleared by a new execution. */
  clear(target: OutputTarget): void {
    target.clear();
    this.clearPending.delete(target.key);
    for (const places of this.displays.values()) {
      for (const key of places.keys()) if (key.startsWith(`${target.key}#`)) places.delete(key);
    }
  }

  private updateDisplay(msg: JupyterMessage): void {
    const displayId = displayIdOf(msg);
    const places = displayId ? this.displays.get(displayId) : undefined;
    if (!places) return;
    const c = msg.content as Record<string, unknown>;
    for (const { target, index } of places.values()) {
      const t = target();
      const prev = t.get(index);
      if (!prev) continue;
      t.replace(index, { ...prev, data: c.data ?? {}, metadata: c.metadata ?? {} });
    }
  }

  reset(): void {
    this.clearPending.clear();
    this.displays.clear();
  }
}
