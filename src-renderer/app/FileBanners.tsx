import type { NotebookSnapshot, QuireApi } from '../../src-shared/ipc/contract';

/** The choices a person must make about the file: restored edits after a crash, a file changed on disk. */
export function FileBanners({ api, notebook, onError }: { api: QuireApi; notebook: NotebookSnapshot; onError(message: string): void }) {
  const act = (what: string, action: () => Promise<unknown>) => () => void action().catch((err: Error) => onError(`${what} failed: ${err.message}`));
  return (
    <>
      {notebook.recovery && (
        <div className="banner warn" role="alert" data-testid="recovery-banner">
          Quire restored unsaved changes from {new Date(notebook.recovery.snapshotAt).toLocaleString()} after an unexpected exit.
          <button onClick={act('Keeping the recovered version', () => api.resolveRecovery(true))}>Keep recovered version</button>
          <button onClick={act('Discarding the recovered version', () => api.resolveRecovery(false))}>Discard, reload the file</button>
        </div>
      )}
      {notebook.file.changedOnDisk && (
        <div className="banner warn" role="alert" data-testid="disk-banner">
          {notebook.title} changed on disk since Quire loaded it.
          <button onClick={act('Reloading', () => api.reload())}>Reload from disk</button>
          <button onClick={act('Saving', () => api.save({ overwrite: true }))}>Overwrite with this version</button>
        </div>
      )}
      {notebook.file.error && !notebook.file.changedOnDisk && (
        <div className="banner error" role="alert">
          Saving failed: {notebook.file.error}
        </div>
      )}
    </>
  );
}
