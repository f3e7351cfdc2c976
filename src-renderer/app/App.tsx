import { useCallback, useEffect, useRef, useState } from 'react';
import type { QuireApi } from '../../src-shared/ipc/contract';
import { startWidgets, type WidgetHost } from '../widgets/index';
import { NotebookView } from '../notebook/NotebookView';
import { Toolbar } from './Toolbar';
import { useNotebook } from './useNotebook';

export function App({ api }: { api: QuireApi }) {
  const { notebook, error, host } = useNotebook(api);
  // Created in an effect (not a memo) so StrictMode's mount–unmount–mount disposes exactly
  // the host it made and the next mount gets a live one.
  const [widgets, setWidgets] = useState<WidgetHost | null>(null);
  useEffect(() => {
    const host = startWidgets(api);
    setWidgets(host);
    return () => host.dispose();
  }, [api]);
  const [message, setMessage] = useState<{ text: string; kind: 'info' | 'error' } | null>(null);
  const messageTimer = useRef<number | undefined>(undefined);

  const report = useCallback((text: string, kind: 'info' | 'error' = 'info') => {
    setMessage({ text, kind });
    window.clearTimeout(messageTimer.current);
    if (kind === 'info') messageTimer.current = window.setTimeout(() => setMessage(null), 4000);
  }, []);

  const run = useCallback(
    async (action: () => Promise<unknown>, failure: string) => {
      try {
        await action();
      } catch (err) {
        report(`${failure}: ${(err as Error).message}`, 'error');
      }
    },
    [report],
  );

  const save = useCallback(
    () =>
      run(async () => {
        report('Saving…');
        const saved = await api.save();
        report(`Saved ${saved.path} (${Math.round(saved.bytes / 1024)} KB)`);
      }, 'Save failed'),
    [api, run, report],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save]);

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
  if (!notebook || !widgets) return <main className="loading">Opening notebook…</main>;

  const runAll = () =>
    run(async () => {
      for (const cell of notebook.cells) {
        if (cell.cellType !== 'code') continue;
        const result = await api.executeCell(cell.id);
        if (result.status !== 'ok') break;
      }
    }, 'Run all failed');

  return (
    <div className="app">
      <Toolbar
        notebook={notebook}
        onRunAll={runAll}
        onInterrupt={() => run(() => api.interrupt(), 'Interrupt failed')}
        onRestart={() => run(() => api.restart(), 'Restart failed')}
        onSave={save}
      />
      {!host.connected && (
        <div className="banner warn" role="status">
          Reconnecting to the Quire daemon… {host.message ?? ''}
        </div>
      )}
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
      <NotebookView api={api} notebook={notebook} widgets={widgets} onError={(m) => report(m, 'error')} />
    </div>
  );
}
