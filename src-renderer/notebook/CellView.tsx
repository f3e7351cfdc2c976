/**
 * One cell: prompt, editor (or rendered markdown), run state and timing, outputs, and the
 * cell toolbar JupyterLab shows on the active cell (move, change type, delete).
 */
import { useEffect, useState } from 'react';
import type { QuireApi } from '../../src-shared/ipc/contract';
import type { CellType, CellView as Cell } from '../../src-shared/schema/notebook-doc';
import type { WidgetHost } from '../widgets/index';
import { CellEditor, type CellEditorHandle, type RunMode } from './editor/CellEditor';
import type { CellTextHub } from './editor/cell-text-hub';
import { MarkdownView } from './Markdown';
import { Outputs } from './Outputs';
import { formatDuration } from './run-time';

interface Props {
  cell: Cell;
  index: number;
  count: number;
  version: number;
  language: string | null;
  api: QuireApi;
  widgets: WidgetHost;
  hub: CellTextHub;
  clientID: string;
  active: boolean;
  selected: boolean;
  editing: boolean;
  rendered: boolean;
  editorRef(handle: CellEditorHandle | null): void;
  onSelect(extend: boolean): void;
  onEdit(): void;
  onEditorFocus(): void;
  onRun(how: RunMode): void;
  onEscape(): void;
  onLeave(direction: 'up' | 'down'): void;
  onSplit(offset: number): void;
  onMove(delta: -1 | 1): void;
  onRunFrom(direction: 'above' | 'below'): void;
  onDelete(): void;
  onSetType(type: CellType): void;
  onError(message: string): void;
}

export function CellView(props: Props) {
  const { cell } = props;
  const busy = cell.run === 'running' || cell.run === 'queued';
  const prompt = busy ? '*' : (cell.executionCount ?? ' ');
  return (
    <section
      className={`cell cell-${cell.cellType} run-${cell.run}${props.active ? ' active' : ''}${props.selected ? ' selected' : ''}${props.editing ? ' editing' : ''}`}
      data-cell-id={cell.id}
      data-run={cell.run}
      data-active={props.active || undefined}
      data-selected={props.selected || undefined}
      tabIndex={-1}
      onMouseDown={(e) => {
        // A click in the editor or a widget keeps its focus; elsewhere selects the cell.
        if ((e.target as HTMLElement).closest('.editor, .widget-area, .output a, button, select, input, textarea')) return;
        props.onSelect(e.shiftKey);
      }}
    >
      <div className="prompt" aria-label="execution count">
        {cell.cellType === 'code' ? `[${prompt}]:` : ''}
        {cell.cellType === 'code' && <RunTime cell={cell} />}
      </div>
      <div className="body">
        {props.rendered ? (
          <div className="rendered" onDoubleClick={props.onEdit} title="Double-click or press Enter to edit">
            <MarkdownView source={cell.source} />
          </div>
        ) : (
          <CellEditor
            ref={props.editorRef}
            cellId={cell.id}
            cellType={cell.cellType}
            language={props.language}
            source={cell.source}
            version={props.version}
            clientID={props.clientID}
            hub={props.hub}
            onError={props.onError}
            keys={{
              run: props.onRun,
              escape: props.onEscape,
              leave: props.onLeave,
              split: props.onSplit,
              focused: props.onEditorFocus,
            }}
          />
        )}
        {cell.cellType === 'code' && <Outputs outputs={cell.outputs} widgets={props.widgets} />}
      </div>
      <div className="cell-side">
        {cell.cellType === 'code' && (
          <button className="run" onClick={() => props.onRun('stay')} title="Run cell (Shift+Enter)" aria-label="Run cell">
            ▶
          </button>
        )}
      </div>
      {props.active && (
        <div className="cell-toolbar" role="toolbar" aria-label="Cell actions">
          <select
            aria-label="Cell type"
            value={cell.cellType}
            onChange={(e) => props.onSetType(e.target.value as CellType)}
          >
            <option value="code">Code</option>
            <option value="markdown">Markdown</option>
            <option value="raw">Raw</option>
          </select>
          <button onClick={() => props.onRunFrom('above')} title="Run every cell above this one" aria-label="Run above">
            ⤒▶
          </button>
          <button onClick={() => props.onRunFrom('below')} title="Run this cell and the cells below" aria-label="Run below">
            ⤓▶
          </button>
          <button onClick={() => props.onMove(-1)} disabled={props.index === 0} title="Move up" aria-label="Move cell up">
            ↑
          </button>
          <button onClick={() => props.onMove(1)} disabled={props.index === props.count - 1} title="Move down" aria-label="Move cell down">
            ↓
          </button>
          <button onClick={props.onDelete} title="Delete cell (D D)" aria-label="Delete cell">
            ✕
          </button>
        </div>
      )}
    </section>
  );
}

/** "running 3 s", "queued", or the last run's duration, as JupyterLab's execution time. */
function RunTime({ cell }: { cell: Cell }) {
  const [now, setNow] = useState(() => Date.now());
  const lastRun = cell.lastRun;
  const running = cell.run === 'running';
  useEffect(() => {
    if (!running) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [running]);
  if (cell.run === 'queued') return <div className="run-time" data-testid="run-time">queued</div>;
  if (!lastRun) return null;
  if (running) return <div className="run-time" data-testid="run-time">{formatDuration(Math.max(0, now - lastRun.startedAt))}</div>;
  if (lastRun.durationMs === null || lastRun.status === 'aborted') return null;
  return (
    <div className={`run-time status-${lastRun.status ?? 'none'}`} data-testid="run-time" title={`Ran at ${new Date(lastRun.startedAt).toLocaleTimeString()}`}>
      {formatDuration(lastRun.durationMs)}
    </div>
  );
}
