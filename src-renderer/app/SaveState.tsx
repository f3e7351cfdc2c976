import { useEffect, useState } from 'react';
import type { NotebookSnapshot } from '../../src-shared/ipc/contract';

/** "Saving…", "Saved 12:03", "Unsaved changes", "Save failed" — every window sees the same. */
export function SaveState({ notebook }: { notebook: NotebookSnapshot }) {
  const { file, dirty } = notebook;
  const [, tick] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => tick((n) => n + 1), 30_000);
    return () => window.clearInterval(t);
  }, []);
  let text: string;
  let kind: string;
  if (file.saving) [text, kind] = ['Saving…', 'saving'];
  else if (file.error) [text, kind] = ['Save failed', 'error'];
  else if (dirty) [text, kind] = ['Unsaved', 'dirty'];
  else if (file.savedAt) [text, kind] = [`Saved ${new Date(file.savedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`, 'saved'];
  else [text, kind] = ['', 'clean'];
  return (
    <span className={`save-state save-${kind}`} data-testid="save-state" data-state={kind} title={file.error ?? (file.autosave ? 'Autosave is on' : 'Autosave is off')} role="status">
      {text}
    </span>
  );
}
