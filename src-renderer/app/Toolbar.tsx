import type { NotebookSnapshot } from '../../src-shared/ipc/contract';

const STATUS_LABEL: Record<string, string> = {
  unknown: 'No kernel',
  starting: 'Kernel starting…',
  idle: 'Idle',
  busy: 'Busy',
  restarting: 'Restarting…',
  dead: 'Kernel dead',
};

export function Toolbar(props: {
  notebook: NotebookSnapshot;
  onRunAll(): void;
  onInterrupt(): void;
  onRestart(): void;
  onSave(): void;
}) {
  const { kernel, title, dirty } = props.notebook;
  return (
    <header className="toolbar">
      <span className="title" title={props.notebook.path}>
        {title}
        {dirty && <span aria-label="unsaved changes"> •</span>}
      </span>
      <button onClick={props.onRunAll} title="Run all cells">
        ▶▶ Run all
      </button>
      <button onClick={props.onInterrupt} title="Interrupt the kernel">
        ■ Interrupt
      </button>
      <button onClick={props.onRestart} title="Restart the kernel">
        ↻ Restart
      </button>
      <button onClick={props.onSave} title="Save (Ctrl+S)">
        Save
      </button>
      <span
        className={`kernel-status status-${kernel.status}`}
        data-testid="kernel-status"
        data-status={kernel.status}
        title={kernel.error ?? kernel.displayName ?? ''}
      >
        {kernel.displayName ?? kernel.name ?? 'Kernel'}: {STATUS_LABEL[kernel.status] ?? kernel.status}
      </span>
    </header>
  );
}
