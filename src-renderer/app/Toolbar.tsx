import { useEffect, useState } from 'react';
import type { NotebookSnapshot, QuireApi } from '../../src-shared/ipc/contract';
import type { KernelSpecSummary } from '../../src-shared/protocol/messages';
import { SaveState } from './SaveState';

const STATUS_LABEL: Record<string, string> = {
  unknown: 'Not started',
  starting: 'Kernel starting…',
  idle: 'Idle',
  busy: 'Busy',
  restarting: 'Restarting…',
  dead: 'Kernel dead',
};
const BUSY = new Set(['starting', 'busy', 'restarting']);

export function Toolbar(props: {
  api: QuireApi;
  notebook: NotebookSnapshot;
  onRunAll(): void;
  onRestartRunAll(): void;
  onInterrupt(): void;
  onRestart(): void;
  onClearOutputs(): void;
  onSave(): void;
  onError(message: string): void;
}) {
  const { kernel, title, dirty } = props.notebook;
  return (
    <header className="toolbar">
      <span className="title" title={props.notebook.path}>
        {title}
        {dirty && <span aria-label="unsaved changes"> •</span>}
      </span>
      <button onClick={props.onSave} title="Save (Ctrl+S)">
        Save
      </button>
      <button onClick={props.onRunAll} title="Run all cells">
        ▶▶ Run all
      </button>
      <button onClick={props.onInterrupt} title="Interrupt the kernel (I I)">
        ■ Interrupt
      </button>
      <button onClick={props.onRestart} title="Restart the kernel (0 0)">
        ↻ Restart
      </button>
      <button onClick={props.onRestartRunAll} title="Restart the kernel and run all cells" aria-label="Restart & run all">
        ↻▶▶
      </button>
      <button onClick={props.onClearOutputs} title="Clear every cell's outputs" aria-label="Clear outputs">
        ⌫ Clear
      </button>
      <SaveState notebook={props.notebook} />
      <KernelPicker api={props.api} current={kernel.name ?? props.notebook.kernelspec?.name ?? null} onError={props.onError} />
      <span
        className={`kernel-status status-${kernel.status}`}
        data-testid="kernel-status"
        data-status={kernel.status}
        role="status"
        title={kernel.error ?? kernel.displayName ?? ''}
      >
        {BUSY.has(kernel.status) && <span className="spinner small" aria-hidden="true" />}
        {STATUS_LABEL[kernel.status] ?? kernel.status}
      </span>
    </header>
  );
}

/** The kernelspecs the daemon discovered; choosing one switches the notebook's kernel. */
function KernelPicker(props: { api: QuireApi; current: string | null; onError(message: string): void }) {
  const [specs, setSpecs] = useState<KernelSpecSummary[] | null>(null);
  useEffect(() => {
    let live = true;
    props.api.kernelSpecs().then(
      (s) => live && setSpecs(s),
      (err: Error) => live && props.onError(`Listing kernels failed: ${err.message}`),
    );
    return () => {
      live = false;
    };
    // Listed once per window: onError is a new function on every render.
  }, [props.api]);
  const known = specs?.some((s) => s.name === props.current);
  return (
    <select
      className="kernel-picker"
      aria-label="Kernel"
      value={props.current ?? ''}
      disabled={!specs}
      onChange={(e) => {
        const name = e.target.value;
        if (!name || name === props.current) return;
        if (!window.confirm(`Switch this notebook to the ${specs?.find((s) => s.name === name)?.displayName ?? name} kernel? The running kernel stops.`)) return;
        props.api.setKernel(name).catch((err: Error) => props.onError(`Changing the kernel failed: ${err.message}`));
      }}
    >
      {!props.current && <option value="">No kernel</option>}
      {props.current && !known && <option value={props.current}>{props.current} (not installed)</option>}
      {(specs ?? []).map((s) => (
        <option key={s.name} value={s.name}>
          {s.displayName}
        </option>
      ))}
    </select>
  );
}
