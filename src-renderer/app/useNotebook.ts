/** The window's notebook snapshot and host status, kept current from `window.quire` events. */
import { useEffect, useState } from 'react';
import type { HostStatus, NotebookSnapshot, QuireApi } from '../../src-shared/ipc/contract';

export function useNotebook(api: QuireApi): { notebook: NotebookSnapshot | null; error: string | null; host: HostStatus } {
  const [notebook, setNotebook] = useState<NotebookSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [host, setHost] = useState<HostStatus>({ connected: true });
  useEffect(() => {
    let live = true;
    const offChanged = api.onNotebookChanged((snapshot) => live && setNotebook(snapshot));
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
