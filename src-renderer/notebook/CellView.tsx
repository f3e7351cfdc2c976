import { useEffect, useRef, useState } from 'react';
import type { QuireApi } from '../../src-shared/ipc/contract';
import type { CellView as Cell } from '../../src-shared/schema/notebook-doc';
import type { WidgetHost } from '../widgets/index';
import { Markdown } from './Markdown';
import { Outputs } from './Outputs';
import { rebaseText } from './rebase-text';

const SOURCE_DEBOUNCE_MS = 250;

/**
 * One cell: a plain source editor (CodeMirror comes with the editing issue), its prompt
 * and outputs. Edits go to the shared doc, debounced; running flushes them first.
 */
export function CellView(props: { cell: Cell; api: QuireApi; widgets: WidgetHost; onError(m: string): void; onRan(): void }) {
  const { cell, api } = props;
  const [draft, setDraft] = useState(cell.source);
  const [editing, setEditing] = useState(cell.cellType !== 'markdown');
  const pending = useRef<number | undefined>(undefined);
  /** The doc's source this window's draft is based on. */
  const base = useRef(cell.source);
  const latestDraft = useRef(draft);
  latestDraft.current = draft;

  // A remote edit: adopt it, replaying any unsent local edit on top so neither is lost.
  useEffect(() => {
    if (cell.source === base.current) return;
    setDraft(rebaseText(base.current, latestDraft.current, cell.source));
    base.current = cell.source;
  }, [cell.source]);

  const flush = async (source: string) => {
    window.clearTimeout(pending.current);
    pending.current = undefined;
    if (source === base.current) return; // nothing typed here since the last sync
    base.current = source;
    await api.setCellSource(cell.id, source);
  };

  const onChange = (source: string) => {
    setDraft(source);
    window.clearTimeout(pending.current);
    pending.current = window.setTimeout(() => void flush(source).catch((e: Error) => props.onError(e.message)), SOURCE_DEBOUNCE_MS);
  };

  const run = async () => {
    try {
      await flush(draft);
      if (cell.cellType === 'markdown') {
        setEditing(false);
        props.onRan();
        return;
      }
      const result = api.executeCell(cell.id);
      props.onRan();
      await result;
    } catch (err) {
      props.onError(`Run failed: ${(err as Error).message}`);
    }
  };

  const prompt = cell.run === 'running' || cell.run === 'queued' ? '*' : (cell.executionCount ?? ' ');
  return (
    <section className={`cell cell-${cell.cellType} run-${cell.run}`} data-cell-id={cell.id} data-run={cell.run}>
      <div className="prompt" aria-label="execution count">
        {cell.cellType === 'code' ? `[${prompt}]:` : ''}
      </div>
      <div className="body">
        {cell.cellType === 'markdown' && !editing ? (
          <div className="rendered" onDoubleClick={() => setEditing(true)}>
            <Markdown source={cell.source} />
          </div>
        ) : (
          <textarea
            className="source"
            aria-label={`${cell.cellType} cell source`}
            spellCheck={false}
            value={draft}
            rows={Math.max(1, draft.split('\n').length)}
            onBlur={() => void flush(draft).catch((e: Error) => props.onError(e.message))}
            onChange={(e) => onChange(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.shiftKey || e.ctrlKey)) {
                e.preventDefault();
                void run();
              }
            }}
          />
        )}
        {cell.cellType === 'code' && <Outputs outputs={cell.outputs} widgets={props.widgets} />}
      </div>
      {cell.cellType === 'code' && (
        <button className="run" onClick={() => void run()} title="Run cell (Shift+Enter)" aria-label="Run cell">
          ▶
        </button>
      )}
    </section>
  );
}
