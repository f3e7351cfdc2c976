/**
 * A room's notebook file: saving (manual and autosave), reloading, noticing when another
 * program changes the file, and the crash-recovery decision. Everything a window shows
 * about it ("Saving…", "Saved 12:03", "Save failed: …", "changed on disk") is written to
 * the doc's `file` record, so every client shows the same thing.
 *
 * Change detection: the file's mtime, size and sha256 are recorded at load, save and
 * reload; a stat every `pollMs` (2 s) compares mtime and size, and only when those move is
 * the file read and hashed, so a `touch` or an editor rewriting identical bytes is not a
 * change. Polling rather than fs.watch: watchers miss renames-over (how editors and Quire
 * itself save), differ by platform, and a stat every 2 s per open notebook costs nothing.
 */
import * as A from '@automerge/automerge';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  getCells,
  getFileState,
  getRecovery,
  isDirty,
  pathDirties,
  replaceNotebookContent,
  setDirty,
  setFileState,
  setRecovery,
  type NotebookDoc,
} from '../../src-shared/schema/notebook-doc';
import type { BlobStore } from '../blobs/blob-store';
import { loadNotebookFile, NotebookFileError, writeNotebookFile } from '../ipynb/notebook-file';
import type { Logger } from '../log';
import { RoomError } from './room-error';

/** JupyterLab's default autosave interval. */
export const DEFAULT_AUTOSAVE_MS = 120_000;
export const DEFAULT_FILE_POLL_MS = 2_000;
/**
 * Autosave waits for the notebook to be quiet, but a cell streaming output for minutes never
 * is; after this many autosave intervals of continuous change it saves anyway.
 */
const AUTOSAVE_MAX_WAIT_FACTOR = 3;

interface Fingerprint {
  mtimeMs: number;
  size: number;
  /** sha256 of the bytes, or 'absent'. */
  hash: string;
}

const ABSENT: Fingerprint = { mtimeMs: 0, size: -1, hash: 'absent' };

async function statOf(path: string): Promise<{ mtimeMs: number; size: number } | null> {
  try {
    const s = await stat(path);
    return { mtimeMs: s.mtimeMs, size: s.size };
  } catch {
    return null;
  }
}

async function fingerprint(path: string): Promise<Fingerprint> {
  const s = await statOf(path);
  if (!s) return ABSENT;
  try {
    return { ...s, hash: createHash('sha256').update(await readFile(path)).digest('hex') };
  } catch {
    return ABSENT;
  }
}

/** What the file state needs of its room. */
export interface FileHost {
  readonly id: string;
  readonly path: string;
  doc(): A.Doc<NotebookDoc>;
  /** Applies a daemon change now (flushing queued kernel writes first). */
  change(fn: (d: NotebookDoc) => void): void;
  /** Runs queued kernel writes into the doc. */
  flush(): void;
  blobs: BlobStore;
  logger: Logger;
  /** The doc now matches the file on disk (recovery snapshots record that). */
  onSaved(): void;
}

export interface FileStateOptions {
  /** 0 disables autosave. */
  autosaveMs: number;
  pollMs?: number;
}

export class NotebookFileState {
  private baseline: Fingerprint = ABSENT;
  /** Bumped whenever the baseline is replaced by a save or reload. */
  private generation = 0;
  private readonly pollTimer: NodeJS.Timeout;
  private polling = false;
  /** Save and reload run one at a time; the poller stays out of their way. */
  private queue: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private autosaveTimer: NodeJS.Timeout | null = null;
  private firstChangeAt = 0;
  private lastChangeAt = 0;
  private disposed = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly host: FileHost,
    private readonly options: FileStateOptions,
  ) {
    // A doc restored from a snapshot may carry a stale `saving` from a daemon that died mid-save.
    host.change((d) => setFileState(d, { saving: false, changedOnDisk: false, autosave: options.autosaveMs > 0 }));
    this.ready = fingerprint(host.path).then((fp) => this.setBaseline(fp));
    this.pollTimer = setInterval(() => void this.poll(), options.pollMs ?? DEFAULT_FILE_POLL_MS);
    this.pollTimer.unref();
  }

  private setBaseline(fp: Fingerprint): void {
    this.baseline = fp;
    this.generation++;
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.pollTimer);
    if (this.autosaveTimer) clearTimeout(this.autosaveTimer);
    this.autosaveTimer = null;
  }

  private get doc(): A.Doc<NotebookDoc> {
    return this.host.doc();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.busy++;
      try {
        return await task();
      } finally {
        this.busy--;
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  // ---- change on disk ------------------------------------------------------------------

  /** Compares the file with the recorded fingerprint and updates `changedOnDisk`. */
  private async poll(): Promise<void> {
    if (this.polling || this.busy > 0 || this.disposed) return;
    this.polling = true;
    try {
      await this.ready;
      await this.check(true);
    } catch (err) {
      this.host.logger.warn(`room ${this.host.id}: checking ${this.host.path} failed: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /**
   * Whether the file differs from what Quire last loaded or wrote; records it in the doc.
   * From the poller, a result that raced a save or reload (which move the baseline) is dropped.
   */
  private async check(fromPoll = false): Promise<boolean> {
    const generation = this.generation;
    const s = await statOf(this.host.path);
    const base = this.baseline;
    let changed: boolean;
    if (!s) changed = base.hash !== 'absent';
    else if (s.mtimeMs === base.mtimeMs && s.size === base.size) changed = false;
    else {
      const now = await fingerprint(this.host.path);
      changed = now.hash !== base.hash;
      // Same bytes, new mtime (touched, or rewritten identically): not a change; remember the new stat.
      if (!changed && generation === this.generation) this.baseline = now;
    }
    if (this.disposed || (fromPoll && (this.busy > 0 || generation !== this.generation))) return changed;
    if (getFileState(this.doc).changedOnDisk !== changed) {
      if (changed) this.host.logger.info(`room ${this.host.id}: ${this.host.path} was changed by another program`);
      this.host.change((d) => setFileState(d, { changedOnDisk: changed }));
    }
    return changed;
  }

  // ---- save --------------------------------------------------------------------------

  /**
   * Writes the notebook. To its own path: refused while the file changed on disk (unless
   * `overwrite`); records saving/saved/error in the doc, clears dirty (unless edits arrived
   * while writing) and any recovery offer (saving keeps the recovered edits). To another
   * path: a copy; the room's file and state are untouched.
   */
  save(options: { path?: string; overwrite?: boolean; auto?: boolean } = {}): Promise<{ path: string; bytes: number }> {
    return this.serial(async () => {
      const target = options.path ? resolve(options.path) : this.host.path;
      const own = target === this.host.path;
      if (own) {
        await this.ready;
        // Look now rather than trust the last poll: the file may have changed a second ago.
        const changed = await this.check();
        // Autosave never writes over someone else's change, before the user decided about
        // recovered edits, or when there is nothing to save.
        if (options.auto && (changed || getRecovery(this.doc) || !isDirty(this.doc))) return { path: target, bytes: 0 };
        if (changed && !options.overwrite) {
          throw new RoomError(
            'changed-on-disk',
            `${this.host.path} changed on disk since Quire loaded it; reload it (discarding these edits) or save with overwrite to replace it`,
          );
        }
      }
      this.host.flush();
      const doc = this.doc;
      const heads = A.getHeads(doc);
      if (own) this.host.change((d) => setFileState(d, { saving: true }));
      let written: { bytes: number; hash: string };
      try {
        written = await writeNotebookFile(doc, target, this.host.blobs);
      } catch (err) {
        const reason = (err as Error).message;
        this.host.logger.warn(`room ${this.host.id}: ${options.auto ? 'autosave' : 'save'} of ${target} failed: ${reason}`);
        if (own) this.host.change((d) => setFileState(d, { saving: false, error: reason }));
        if (err instanceof NotebookFileError) throw err;
        throw new RoomError('save-failed', `could not write ${target}: ${reason}; nothing was lost, the notebook is still open with every edit`);
      }
      if (own) {
        const s = await statOf(target);
        this.setBaseline({ mtimeMs: s?.mtimeMs ?? 0, size: s?.size ?? written.bytes, hash: written.hash });
        this.host.flush();
        // Edits that arrived while the file was being written are not in it: still dirty.
        const editedSince = A.diff(this.doc, heads, A.getHeads(this.doc)).some((p) => pathDirties(p.path));
        this.host.change((d) => {
          setFileState(d, { saving: false, savedAt: Date.now(), error: null, changedOnDisk: false });
          setRecovery(d, null);
          if (!editedSince) setDirty(d, false);
        });
        this.host.onSaved();
        if (editedSince) this.docChanged();
      }
      return { path: target, bytes: written.bytes };
    });
  }

  // ---- reload --------------------------------------------------------------------------

  /** Replaces cells, metadata and saved widgets with the file; kernel, live widgets and run state stay. */
  reload(): Promise<{ path: string; cells: number }> {
    return this.serial(async () => {
      await this.ready;
      const path = this.host.path;
      if ((await statOf(path)) === null && this.baseline.hash !== 'absent') {
        throw new RoomError('not-found', `${path} no longer exists on disk; save to write it again`);
      }
      const loaded = await loadNotebookFile(path, this.host.blobs);
      const s = await statOf(path);
      this.setBaseline({ mtimeMs: s?.mtimeMs ?? 0, size: s?.size ?? -1, hash: loaded.hash });
      for (const w of loaded.warnings) this.host.logger.warn(`room ${this.host.id}: reload: ${w}`);
      this.host.change((d) => replaceNotebookContent(d, loaded.doc));
      // A separate change: the room marks a change to cells dirty, and this one says it is not.
      this.host.change((d) => {
        setDirty(d, false);
        setFileState(d, { changedOnDisk: false, error: null });
        setRecovery(d, null);
      });
      this.host.onSaved();
      this.host.logger.info(`room ${this.host.id}: reloaded ${path} from disk`);
      return { path, cells: getCells(this.doc).length };
    });
  }

  // ---- crash recovery ----------------------------------------------------------------------

  /** keep: the recovered edits stay (the notebook stays dirty); otherwise the file is reloaded. */
  async resolveRecovery(keep: boolean): Promise<{ resolved: boolean }> {
    if (!getRecovery(this.doc)) return { resolved: false };
    if (!keep) {
      await this.reload();
      return { resolved: true };
    }
    this.host.change((d) => setRecovery(d, null));
    this.docChanged();
    return { resolved: true };
  }

  // ---- autosave ----------------------------------------------------------------------------

  /** Called on every doc change; cheap (no timer churn while the doc keeps changing). */
  docChanged(): void {
    if (this.options.autosaveMs <= 0 || this.disposed || !isDirty(this.doc)) return;
    const now = Date.now();
    this.lastChangeAt = now;
    if (this.autosaveTimer) return;
    this.firstChangeAt = now;
    this.armAutosave(this.options.autosaveMs);
  }

  private armAutosave(ms: number): void {
    this.autosaveTimer = setTimeout(() => this.autosaveDue(), Math.max(0, ms));
    this.autosaveTimer.unref();
  }

  private autosaveDue(): void {
    this.autosaveTimer = null;
    if (this.disposed) return;
    const delay = this.options.autosaveMs;
    const now = Date.now();
    const quietFor = now - this.lastChangeAt;
    const deadline = this.firstChangeAt + delay * AUTOSAVE_MAX_WAIT_FACTOR;
    if (quietFor < delay && now < deadline) {
      this.armAutosave(Math.min(delay - quietFor, deadline - now));
      return;
    }
    const doc = this.doc;
    const file = getFileState(doc);
    // Never over a file someone else changed, nor before the user chose about recovered edits;
    // the next change re-arms the timer.
    if (!isDirty(doc) || file.changedOnDisk || file.saving || getRecovery(doc)) return;
    this.save({ auto: true }).catch(() => {
      // Recorded in the doc's file.error and the log by save(); the next change retries.
    });
  }
}
