/**
 * Crash-recovery snapshots: each room's doc saved to `<home>/docs/<roomId>.automerge`,
 * at most once a second while it changes, and on close/stop. Beside it, `<roomId>.json`
 * records which notebook file (path and sha256) the doc was last loaded from or saved to.
 * Reopening a notebook with unsaved edits restores the snapshot — with the same history, so
 * replicas that outlived a daemon crash can resend what it never received — but only while
 * the file on disk is still the one the doc came from; a file changed by another program
 * wins. A restored doc carries a `recovery` record (when it was restored, when the snapshot
 * was written) until the user keeps the edits or reloads the file (`resolveRecovery`).
 */
import * as A from '@automerge/automerge';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { abortCellRuns, checkSchemaVersion, isDirty, markKernelGone, setRecovery, type NotebookDoc } from '../../src-shared/schema/notebook-doc';
import type { Logger } from '../log';

/** sha256 of a notebook file's bytes, or 'absent'. */
export function fileFingerprint(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'absent';
  }
}

export class DocSnapshots {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Records that the room's doc now matches the file as it is on disk. */
  setSource(roomId: string, path: string): void {
    const file = join(this.dir, `${roomId}.json`);
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify({ path, fingerprint: fileFingerprint(path) }), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.logger.warn(`recording the source of room ${roomId} failed: ${(err as Error).message}`);
    }
  }

  /**
   * The snapshot of this notebook if the file is unchanged since the doc came from it.
   * `liveKernel`: the notebook's kernel outlived the crash and is being re-attached, so its
   * widgets stay live (origin 'kernel'; the room then keeps only those the kernel still has)
   * and the snapshot is used even without unsaved edits, for the widgets the file lacks.
   */
  restore(roomId: string, path: string, options: { liveKernel?: boolean } = {}): A.Doc<NotebookDoc> | null {
    const snapshot = join(this.dir, `${roomId}.automerge`);
    const source = join(this.dir, `${roomId}.json`);
    if (!existsSync(snapshot) || !existsSync(source)) return null;
    try {
      const recorded = JSON.parse(readFileSync(source, 'utf8')) as { path?: unknown; fingerprint?: unknown };
      if (recorded.path !== path || recorded.fingerprint !== fileFingerprint(path)) return null;
      const doc = A.load<NotebookDoc>(new Uint8Array(readFileSync(snapshot)));
      const problem = checkSchemaVersion(doc);
      if (problem) {
        this.logger.warn(`recovery snapshot of ${path} ignored: ${problem}`);
        return null;
      }
      // Nothing unsaved and no live kernel: the file is the better source (it holds the saved widget state).
      const dirty = isDirty(doc);
      if (!dirty && !options.liveKernel) return null;
      const snapshotAt = Math.round(statSync(snapshot).mtimeMs);
      const restoredAt = Date.now();
      return A.change(doc, (d) => {
        if (options.liveKernel) abortCellRuns(d, restoredAt);
        else markKernelGone(d, restoredAt);
        // Only unsaved edits need the user's decision; a clean doc has nothing to recover.
        if (dirty) setRecovery(d, { restoredAt, snapshotAt });
      });
    } catch (err) {
      this.logger.warn(`recovery snapshot of ${path} unreadable, loading the file: ${(err as Error).message}`);
      return null;
    }
  }

  schedule(roomId: string, doc: () => A.Doc<NotebookDoc>): void {
    if (this.timers.has(roomId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(roomId);
      this.write(roomId, doc());
    }, this.intervalMs);
    timer.unref();
    this.timers.set(roomId, timer);
  }

  flush(roomId: string, doc: A.Doc<NotebookDoc>): void {
    clearTimeout(this.timers.get(roomId));
    this.timers.delete(roomId);
    this.write(roomId, doc);
  }

  private write(roomId: string, doc: A.Doc<NotebookDoc>): void {
    const file = join(this.dir, `${roomId}.automerge`);
    try {
      writeFileSync(`${file}.tmp`, A.save(doc), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.logger.warn(`snapshot of room ${roomId} failed: ${(err as Error).message}`);
    }
  }
}
