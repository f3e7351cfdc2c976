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
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  abortCellRuns,
  checkSchemaVersion,
  compactNotebookDoc,
  isDirty,
  markKernelGone,
  SCHEMA_VERSION,
  setRecovery,
  type NotebookDoc,
} from '../../src-shared/schema/notebook-doc';
import type { Logger } from '../log';
import { readSnapshot } from '../../src-shared/node/recovery-snapshot';

/** sha256 of a notebook file's bytes, or 'absent'. */
export function fileFingerprint(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'absent';
  }
}

/** What this daemon last wrote for a room: the base snapshot and the log appended since. */
interface Written {
  heads: A.Heads;
  baseBytes: number;
  logBytes: number;
  chunks: number;
}

/** A log longer than this (and than the base) is folded into a new base snapshot. */
const MIN_COMPACT_BYTES = 256 * 1024;
const MAX_CHUNKS = 1000;
/** A room closing with a longer history than this is compacted (see `close`). */
export const COMPACT_CHANGES = 10_000;

/**
 * Each room has a base snapshot (`<roomId>.automerge`, a full `A.save`) and a log of the
 * changes since (`<roomId>.automerge.log`: u32 big-endian length + `A.saveSince` bytes per
 * write). Appending costs what changed, not the whole doc — a full save of a 2 MB doc blocks
 * the daemon for hundreds of ms. A torn last record (a crash mid-append) is ignored on restore.
 */
export class DocSnapshots {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly written = new Map<string, Written>();
  /** Rooms whose last snapshot is written (`close`); opened again, they write snapshots again. */
  private readonly closed = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Records that the room's doc now matches the file as it is on disk. */
  setSource(roomId: string, path: string): void {
    // The room's doc may be a new history (loaded from the file): never append to the old log.
    this.written.delete(roomId);
    this.closed.delete(roomId);
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
    this.written.delete(roomId); // whatever the room's doc becomes, its next snapshot starts a new base
    this.closed.delete(roomId);
    if (!existsSync(snapshot) || !existsSync(source)) return null;
    try {
      const recorded = JSON.parse(readFileSync(source, 'utf8')) as { path?: unknown; fingerprint?: unknown };
      if (recorded.path !== path || recorded.fingerprint !== fileFingerprint(path)) return null;
      const doc = this.loadWithLog(snapshot, path);
      const problem = checkSchemaVersion(doc);
      if (problem) {
        this.logger.warn(`recovery snapshot of ${path} ignored: ${problem}`);
        return null;
      }
      // Nothing unsaved and no live kernel: the file is the better source (it holds the saved widget state).
      const dirty = isDirty(doc);
      if (!dirty && !options.liveKernel) return null;
      const log = `${snapshot}.log`;
      const snapshotAt = Math.round(Math.max(statSync(snapshot).mtimeMs, existsSync(log) ? statSync(log).mtimeMs : 0));
      const restoredAt = Date.now();
      return A.change(doc, (d) => {
        // An older daemon's doc: what this one writes from now on is the current schema.
        if (d.schemaVersion < SCHEMA_VERSION) d.schemaVersion = SCHEMA_VERSION;
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
    if (this.timers.has(roomId) || this.closed.has(roomId)) return;
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

  /**
   * The room's last snapshot: the room closed, or the daemon is stopping. Changes the room still
   * makes afterwards (a stopping daemon shuts the kernel down after this, which drops its widgets
   * from the doc) are not written: the snapshot keeps the widgets, restored as saved ones.
   * `compact`: no replica can come back to merge (no client attached, none lost its connection).
   * Then a long unsaved history — a long session of separate edits: 100k of them load in
   * 200–500 ms — is written compacted, as one change under a new docId. (A crash keeps the
   * history: replicas that outlived it resend their edits by merging. A clean doc is not worth
   * it: a restore loads the file instead.)
   */
  close(roomId: string, doc: A.Doc<NotebookDoc>, { compact }: { compact: boolean }): void {
    const changes = A.stats(doc).numChanges;
    if (compact && changes > COMPACT_CHANGES && isDirty(doc)) {
      const started = Date.now();
      doc = compactNotebookDoc(doc);
      this.written.delete(roomId); // a new history: a new base, never appended to the old log
      this.logger.info(`room ${roomId}: compacted its history of ${changes} changes in ${Date.now() - started} ms`);
    }
    this.flush(roomId, doc);
    this.closed.add(roomId);
  }

  private write(roomId: string, doc: A.Doc<NotebookDoc>): void {
    const file = join(this.dir, `${roomId}.automerge`);
    try {
      const done = this.written.get(roomId);
      // A log only continues the history it began with: a doc that lacks its heads (compacted, or
      // reloaded from the file) gets a new base, or its log would carry a second history.
      if (done && A.hasHeads(doc, done.heads) && done.logBytes <= Math.max(MIN_COMPACT_BYTES, done.baseBytes) && done.chunks < MAX_CHUNKS) {
        const chunk = A.saveSince(doc, done.heads);
        if (chunk.length === 0) return;
        const record = Buffer.alloc(4 + chunk.length);
        record.writeUInt32BE(chunk.length, 0);
        record.set(chunk, 4);
        appendFileSync(`${file}.log`, record, { mode: 0o600 });
        done.heads = A.getHeads(doc);
        done.logBytes += record.length;
        done.chunks++;
        return;
      }
      // First write of this daemon for the room, or a long log: a new base, then no log. A crash
      // between the two leaves an old log whose changes the base already has (harmless to replay).
      const base = A.save(doc);
      writeFileSync(`${file}.tmp`, base, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      rmSync(`${file}.log`, { force: true });
      this.written.set(roomId, { heads: A.getHeads(doc), baseBytes: base.length, logBytes: 0, chunks: 0 });
    } catch (err) {
      this.written.delete(roomId); // start over with a full snapshot next time
      this.logger.warn(`snapshot of room ${roomId} failed: ${(err as Error).message}`);
    }
  }

  private loadWithLog(snapshot: string, path: string): A.Doc<NotebookDoc> {
    return readSnapshot(snapshot, (torn) => this.logger.warn(`recovery log of ${path}: ignored a torn last record (${torn} bytes)`));
  }
}
