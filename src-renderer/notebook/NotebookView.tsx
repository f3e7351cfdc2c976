/**
 * The notebook: its cells, the active cell and selection, and JupyterLab's two modes —
 * command mode (keys act on cells, see command-keys.ts) and edit mode (keys go to the
 * active cell's CodeMirror editor). Structure changes go to the shared doc through
 * `window.quire`; what the view shows always comes back from the doc.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { NotebookSnapshot, QuireApi } from '../../src-shared/ipc/contract';
import type { CellType } from '../../src-shared/schema/notebook-doc';
import type { WidgetHost } from '../widgets/index';
import { CellView } from './CellView';
import { CommandKeys, type NotebookCommand } from './command-keys';
import type { CellEditorHandle, RunMode } from './editor/CellEditor';
import type { CellTextHub } from './editor/cell-text-hub';

export type Mode = 'command' | 'edit';

interface CopiedCell {
  cellType: CellType;
  source: string;
}

export interface NotebookActions {
  runCells(cellIds: string[]): Promise<void>;
  save(): Promise<void>;
  interrupt(): Promise<void>;
  restart(): Promise<void>;
}

export function NotebookView(props: {
  api: QuireApi;
  notebook: NotebookSnapshot;
  widgets: WidgetHost;
  hub: CellTextHub;
  clientID: string;
  actions: NotebookActions;
  onError(message: string): void;
}) {
  const { api, notebook, onError } = props;
  const cells = notebook.cells;
  const [activeId, setActiveId] = useState<string | null>(null);
  const [anchorId, setAnchorId] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>('command');
  /** Markdown cells shown as source (JupyterLab renders them until you edit). */
  const [editingMarkdown, setEditingMarkdown] = useState<Set<string>>(() => new Set());
  const editors = useRef(new Map<string, CellEditorHandle>());
  const root = useRef<HTMLElement>(null);
  const keys = useRef(new CommandKeys());
  const clipboard = useRef<CopiedCell[]>([]);
  const deleted = useRef<{ index: number; cells: CopiedCell[] }[]>([]);
  /**
   * Escape and command keys the user pressed: they win over a focus still on its way (a request
   * that creates a cell, an editor that mounts on the next frame).
   */
  const userActions = useRef(0);
  /** Where focus goes once a cell created here shows up in the doc. */
  const pendingFocus = useRef<{ cellId: string; mode: Mode } | null>(null);

  // When the active cell disappears (deleted here or elsewhere), its neighbour takes over.
  const lastIndex = useRef(0);
  const found = cells.findIndex((c) => c.id === activeId);
  const activeIndex = found >= 0 ? found : Math.max(0, Math.min(lastIndex.current, cells.length - 1));
  lastIndex.current = activeIndex;
  const active = cells[activeIndex];
  const selected = useMemo(() => {
    const a = cells.findIndex((c) => c.id === anchorId);
    if (a < 0 || !active) return active ? [active.id] : [];
    const [from, to] = a < activeIndex ? [a, activeIndex] : [activeIndex, a];
    return cells.slice(from, to + 1).map((c) => c.id);
  }, [cells, anchorId, active, activeIndex]);

  const focusCommand = useCallback(() => {
    setMode('command');
    root.current?.focus({ preventScroll: true });
  }, []);

  const select = useCallback((cellId: string | undefined, extend = false) => {
    if (!cellId) return;
    setActiveId(cellId);
    if (!extend) setAnchorId(null);
    document.querySelector(`[data-cell-id="${CSS.escape(cellId)}"]`)?.scrollIntoView({ block: 'nearest' });
  }, []);

  const edit = useCallback(
    (cellId: string, at?: 'start' | 'end') => {
      select(cellId);
      setMode('edit');
      setEditingMarkdown((s) => (s.has(cellId) ? s : new Set(s).add(cellId)));
      // The editor of a rendered markdown cell mounts on the next render. An Escape or command
      // key pressed before then wins: focusing the editor afterwards would re-enter edit mode.
      const startedAt = userActions.current;
      requestAnimationFrame(() => {
        if (userActions.current === startedAt) editors.current.get(cellId)?.focus(at);
      });
    },
    [select],
  );

  // A cell created by this window: select (and maybe edit) it once the doc has it — which may
  // be before the request that made it returns, so both the request and each doc update look.
  const cellsNow = useRef(cells);
  cellsNow.current = cells;
  const applyPendingFocus = useCallback(() => {
    const want = pendingFocus.current;
    if (!want || !cellsNow.current.some((c) => c.id === want.cellId)) return;
    pendingFocus.current = null;
    if (want.mode === 'edit') edit(want.cellId);
    else {
      select(want.cellId);
      focusCommand();
    }
  }, [edit, select, focusCommand]);
  useEffect(applyPendingFocus, [cells, applyPendingFocus]);
  const focusWhenCreated = useCallback(
    (cellId: string, mode: Mode, startedAt: number) => {
      if (userActions.current !== startedAt) return;
      pendingFocus.current = { cellId, mode };
      applyPendingFocus();
    },
    [applyPendingFocus],
  );
  /** Escape or a command key: a focus still on its way must not take the window back. */
  const userMovedOn = () => {
    userActions.current++;
    pendingFocus.current = null;
  };
  const escape = useCallback(() => {
    userMovedOn();
    focusCommand();
  }, [focusCommand]);

  const attempt = useCallback(
    async (what: string, action: () => Promise<unknown>) => {
      try {
        await action();
      } catch (err) {
        onError(`${what} failed: ${(err as Error).message}`);
      }
    },
    [onError],
  );

  const insert = useCallback(
    (index: number, cellType: CellType = 'code', source?: string, then: Mode = 'edit') =>
      attempt('Inserting a cell', async () => {
        const startedAt = userActions.current;
        const cellId = await api.insertCell(index, cellType, source);
        focusWhenCreated(cellId, then, startedAt);
      }),
    [api, attempt, focusWhenCreated],
  );

  const run = useCallback(
    async (ids: string[], how: RunMode) => {
      const targets = cells.filter((c) => ids.includes(c.id));
      await Promise.all(targets.map((c) => props.hub.flush(c.id)));
      const markdown = targets.filter((c) => c.cellType === 'markdown').map((c) => c.id);
      if (markdown.length) {
        setEditingMarkdown((s) => {
          const next = new Set(s);
          for (const id of markdown) next.delete(id);
          return next;
        });
      }
      const last = targets.at(-1);
      const lastIndex = last ? cells.indexOf(last) : activeIndex;
      if (how === 'advance') {
        const next = cells[lastIndex + 1];
        if (next) {
          select(next.id);
          focusCommand();
        } else void insert(lastIndex + 1);
      } else if (how === 'insert-below') {
        void insert(lastIndex + 1);
      } else focusCommand();
      const code = targets.filter((c) => c.cellType === 'code').map((c) => c.id);
      if (code.length) await props.actions.runCells(code);
    },
    [cells, activeIndex, props.hub, props.actions, select, focusCommand, insert],
  );

  const copied = (ids: string[]): CopiedCell[] => cells.filter((c) => ids.includes(c.id)).map((c) => ({ cellType: c.cellType, source: c.source }));

  const remove = useCallback(
    (ids: string[]) =>
      attempt('Deleting cells', async () => {
        const first = cells.findIndex((c) => ids.includes(c.id));
        deleted.current.push({ index: first, cells: copied(ids) });
        const after = cells.find((c, i) => i > first && !ids.includes(c.id)) ?? cells.slice(0, first).at(-1);
        await api.deleteCells(ids);
        if (after) select(after.id);
      }),
    [api, attempt, cells, select],
  );

  const paste = useCallback(
    (index: number) =>
      attempt('Pasting cells', async () => {
        const startedAt = userActions.current;
        let at = index;
        let lastId: string | null = null;
        for (const c of clipboard.current) lastId = await api.insertCell(at++, c.cellType, c.source);
        if (lastId) focusWhenCreated(lastId, 'command', startedAt);
      }),
    [api, attempt, focusWhenCreated],
  );

  const perform = useCallback(
    (command: NotebookCommand) => {
      // A cell still on its way (paste, insert) must not take the selection or the focus back
      // from under the next keys (this command may start a new one).
      userMovedOn();
      const ids = selected;
      switch (command) {
        case 'edit':
          if (active) edit(active.id);
          return;
        case 'run-advance':
          return void run(ids, 'advance');
        case 'run-stay':
          return void run(ids, 'stay');
        case 'run-insert':
          return void run(ids, 'insert-below');
        case 'insert-above':
          return void insert(activeIndex, 'code', undefined, 'command');
        case 'insert-below':
          return void insert(cells.length ? activeIndex + 1 : 0, 'code', undefined, 'command');
        case 'copy':
          clipboard.current = copied(ids);
          return;
        case 'cut':
          clipboard.current = copied(ids);
          return void remove(ids);
        case 'paste-below':
          return void paste(activeIndex + 1);
        case 'paste-above':
          return void paste(activeIndex);
        case 'delete':
          return void remove(ids);
        case 'undo-delete': {
          const last = deleted.current.pop();
          if (!last) return;
          void attempt('Restoring cells', async () => {
            let at = Math.min(last.index, cells.length);
            for (const c of last.cells) await api.insertCell(at++, c.cellType, c.source);
          });
          return;
        }
        case 'to-markdown':
        case 'to-code':
        case 'to-raw': {
          const type = command === 'to-markdown' ? 'markdown' : command === 'to-code' ? 'code' : 'raw';
          return void attempt('Changing the cell type', () => api.setCellType(ids, type));
        }
        case 'select-up':
          return select(cells[activeIndex - 1]?.id);
        case 'select-down':
          return select(cells[activeIndex + 1]?.id);
        case 'extend-up':
        case 'extend-down': {
          if (!active) return;
          if (!anchorId) setAnchorId(active.id);
          return select(cells[activeIndex + (command === 'extend-up' ? -1 : 1)]?.id, true);
        }
        case 'select-all':
          setAnchorId(cells[0]?.id ?? null);
          return select(cells.at(-1)?.id, true);
        case 'first':
          return select(cells[0]?.id);
        case 'last':
          return select(cells.at(-1)?.id);
        case 'merge': {
          // Shift+M with one cell selected merges it with the next, as in JupyterLab.
          const next = cells[activeIndex + 1];
          const merged = ids.length >= 2 ? ids : active && next ? [active.id, next.id] : [];
          if (merged.length < 2) return;
          void attempt('Merging cells', () => api.mergeCells(merged));
          setAnchorId(null);
          return select(merged[0]);
        }
        case 'interrupt':
          return void props.actions.interrupt();
        case 'restart':
          return void props.actions.restart();
        case 'save':
          return void props.actions.save();
      }
    },
    [selected, active, activeIndex, anchorId, cells, edit, run, insert, remove, paste, select, attempt, api, props.actions],
  );

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (mode !== 'command') return;
    // Keys typed into a widget (a Text widget, a slider) are the widget's.
    const target = e.target as HTMLElement;
    if (target !== root.current && !target.classList.contains('cell')) return;
    const command = keys.current.command(e);
    if (!command) return;
    e.preventDefault();
    e.stopPropagation();
    perform(command);
  };

  const split = useCallback(
    (cellId: string, offset: number) =>
      attempt('Splitting the cell', async () => {
        const startedAt = userActions.current;
        await props.hub.flush(cellId);
        const newId = await api.splitCell(cellId, offset);
        focusWhenCreated(newId, 'edit', startedAt);
      }),
    [api, attempt, props.hub, focusWhenCreated],
  );

  return (
    <main
      className={`notebook mode-${mode}`}
      ref={root}
      tabIndex={-1}
      data-mode={mode}
      aria-label="Notebook"
      onKeyDown={onKeyDown}
    >
      {cells.length === 0 && (
        <p className="empty">
          This notebook has no cells. <button className="link" onClick={() => void insert(0)}>Add a code cell</button>
        </p>
      )}
      {cells.map((cell, index) => (
        <CellView
          key={cell.id}
          cell={cell}
          index={index}
          count={cells.length}
          version={notebook.sourceVersions[cell.id] ?? 0}
          language={notebook.kernel.language}
          api={api}
          widgets={props.widgets}
          hub={props.hub}
          clientID={props.clientID}
          active={cell.id === active?.id}
          selected={selected.length > 1 && selected.includes(cell.id)}
          editing={mode === 'edit' && cell.id === active?.id}
          rendered={cell.cellType === 'markdown' && !editingMarkdown.has(cell.id) && cell.source !== ''}
          editorRef={(handle) => {
            if (handle) editors.current.set(cell.id, handle);
            else editors.current.delete(cell.id);
          }}
          onSelect={(extend) => {
            if (extend && active) {
              if (!anchorId) setAnchorId(active.id);
              select(cell.id, true);
            } else select(cell.id);
          }}
          onEdit={() => edit(cell.id)}
          onEditorFocus={() => {
            if (cell.id !== activeId) select(cell.id);
            setMode('edit');
          }}
          onRun={(how) => void run([cell.id], how)}
          onEscape={escape}
          onLeave={(direction) => {
            const next = cells[index + (direction === 'up' ? -1 : 1)];
            if (next) edit(next.id, direction === 'up' ? 'end' : 'start');
          }}
          onSplit={(offset) => void split(cell.id, offset)}
          onMove={(delta) => void attempt('Moving the cell', () => api.moveCell(cell.id, index + delta))}
          onDelete={() => void remove([cell.id])}
          onRunFrom={(direction) => {
            // JupyterLab's "Run All Above Selected Cell" / "Run Selected Cell and All Below".
            const range = direction === 'above' ? cells.slice(0, index) : cells.slice(index);
            if (range.length) void run(range.map((c) => c.id), 'stay');
          }}
          onSetType={(type) => void attempt('Changing the cell type', () => api.setCellType([cell.id], type))}
          onError={onError}
        />
      ))}
      {cells.length > 0 && (
        <div className="add-cell">
          <button className="link" onClick={() => void insert(cells.length)} title="Add a code cell at the end (B on the last cell)">
            + Code
          </button>
          <button className="link" onClick={() => void insert(cells.length, 'markdown')} title="Add a markdown cell at the end">
            + Markdown
          </button>
        </div>
      )}
    </main>
  );
}
