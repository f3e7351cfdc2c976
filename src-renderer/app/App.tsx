import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { QuireApi } from '../../src-shared/ipc/contract';
import { startWidgets, type WidgetHost } from '../widgets/index';
import { NotebookView, type NotebookActions } from '../notebook/NotebookView';
import { CellTextHub } from '../notebook/editor/cell-text-hub';
import { FileBanners } from './FileBanners';
import { InputPrompt } from './InputPrompt';
import { Toolbar } from './Toolbar';
import { useNotebook } from './useNotebook';

/** Identifies this window's edits in the cell text logs (undo history is per window). */
const CLIENT_ID = `w-${crypto.randomUUID()}`;

export function App({ api }: { api: QuireApi }) {
  const { notebook, error, host } = useNotebook(api);
  // Created in effects (not memos) so StrictMode's mount–unmount–mount disposes exactly
  // what it made and the next mount gets live ones.
  const [widgets, setWidgets] = useState<WidgetHost | null>(null);
  useEffect(() => {
    const h = startWidgets(api);
    setWidgets(h);
    return () => h.dispose();
  }, [api]);
  const [hub, setHub] = useState<CellTextHub | null>(null);
  useEffect(() => {
    const h = new CellTextHub(api);
    setHub(h);
    return () => h.dispose();
  }, [api]);
  const [message, setMessage] = useState<{ text: string; kind: 'info' | 'error' } | null>(null);
  const messageTimer = useRef<number | undefined>(undefined);

  const report = useCallback((text: string, kind: 'info' | 'error' = 'info') => {
    setMessage({ text, kind });
    window.clearTimeout(messageTimer.current);
    if (kind === 'info') messageTimer.current = window.setTimeout(() => setMessage(null), 4000);
  }, []);

  const attempt = useCallback(
    async (failure: string, action: () => Promise<unknown>) => {
      try {
        await action();
      } catch (err) {
        report(`${failure}: ${(err as Error).message}`, 'error');
      }
    },
    [report],
  );

  const actions: NotebookActions = useMemo(
    () => ({
      runCells: (cellIds) =>
        attempt('Run failed', async () => {
          await hub?.flushAll();
          await api.executeCells(cellIds);
        }),
      save: () =>
        attempt('Save failed', async () => {
          await hub?.flushAll();
          await api.save();
        }),
      interrupt: () => attempt('Interrupt failed', () => api.interrupt()),
      restart: () =>
        attempt('Restart failed', async () => {
          if (window.confirm('Restart the kernel? Its variables will be lost.')) await api.restart();
        }),
    }),
    [api, hub, attempt],
  );

  useEffect(() => {
    // Ctrl/Cmd+S saves from anywhere, edit mode included (the browser's "save page" never helps).
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void actions.save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions]);

  useEffect(() => {
    if (notebook) document.title = `${notebook.title}${notebook.dirty ? ' •' : ''} — Quire`;
  }, [notebook]);

  if (error) {
    return (
      <main className="fatal">
        <h1>Could not open the notebook</h1>
        <p role="alert">{error}</p>
      </main>
    );
  }
  if (!notebook || !widgets || !hub) {
    return (
      <main className="loading" role="status" aria-busy="true">
        <div className="spinner" aria-hidden="true" /> Opening notebook…
      </main>
    );
  }

  const codeIds = (cells = notebook.cells) => cells.filter((c) => c.cellType === 'code').map((c) => c.id);

  return (
    <div className="app">
      <Toolbar
        api={api}
        notebook={notebook}
        onRunAll={() => void actions.runCells(codeIds())}
        onRestartRunAll={() =>
          void attempt('Restart failed', async () => {
            if (!window.confirm('Restart the kernel and run all cells?')) return;
            await api.restart();
            await actions.runCells(codeIds());
          })
        }
        onInterrupt={() => void actions.interrupt()}
        onRestart={() => void actions.restart()}
        onClearOutputs={() => void attempt('Clearing outputs failed', () => api.clearOutputs())}
        onSave={() => void actions.save()}
        onError={(m) => report(m, 'error')}
      />
      {!host.connected && (
        <div className="banner warn" role="status">
          Reconnecting to the Quire daemon… {host.message ?? ''}
        </div>
      )}
      <FileBanners api={api} notebook={notebook} onError={(m) => report(m, 'error')} />
      {message && (
        <div className={`banner ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
          {message.kind === 'error' && (
            <button className="link" onClick={() => setMessage(null)}>
              Dismiss
            </button>
          )}
        </div>
      )}
      <InputPrompt api={api} cells={notebook.cells} />
      <NotebookView api={api} notebook={notebook} widgets={widgets} hub={hub} clientID={CLIENT_ID} actions={actions} onError={(m) => report(m, 'error')} />
    </div>
  );
}
