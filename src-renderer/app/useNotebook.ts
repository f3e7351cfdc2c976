/** The window's notebook snapshot and host status, kept current from `window.quire` events. */
import { useEffect, useState } from 'react';
import type { HostStatus, NotebookSnapshot, QuireApi } from '../../src-shared/ipc/contract';

export function useNotebook(api: QuireApi): { notebook: NotebookSnapshot | null; error: string | null; host: HostStatus } {
  const [notebook, setNotebook] = useState<NotebookSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [host, setHost] = useState<HostStatus>({ connected: true });
  useEffect(() => {
    let live = true;
    const offChanged = api.onNotebookChanged((update) => live && setNotebook((current) => mergeNotebook(current, update)));
    const offHost = api.onHostStatus((status) => {
      if (!live) return;
      setHost(status);
      if (status.connected) api.getNotebook().then((s) => live && setNotebook(s), () => {});
    });
    api.getNotebook().then(
      (snapshot) => live && setNotebook(snapshot),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
      offChanged();
      offHost();
    };
  }, [api]);
  return { notebook, error, host };
}

/**
 * Applies a `notebook:changed` event: a full snapshot replaces the view; a partial one
 * replaces only the cells it carries; unchanged cells keep the objects they had.
 */
export function mergeNotebook(current: NotebookSnapshot | null, update: NotebookSnapshot): NotebookSnapshot | null {
  if (!update.partial) return update;
  // Before the first full snapshot a partial one means nothing; getNotebook() brings it all.
  if (!current) return current;
  const changed = new Map(update.cells.map((c) => [c.id, c]));
  const previous = new Map(current.cells.map((c) => [c.id, c]));
  const cells = update.partial.order.map((id) => changed.get(id) ?? previous.get(id)).filter((c) => c !== undefined);
  const { partial: _partial, ...rest } = update;
  return { ...rest, cells, sourceVersions: { ...current.sourceVersions, ...update.sourceVersions } };
}
