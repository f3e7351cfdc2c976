/**
 * What changed in a notebook replica between two sets of heads, in the terms windows use:
 * a `CommsChange` (whole records of the comms that changed, ids of the ones that went) and
 * whether the notebook view (cells, kernel, dirty) changed. Computed from Automerge patches, so
 * a slider drag costs one comm record, not a snapshot of every widget.
 */
import * as A from '@automerge/automerge';
import type { CommsChange } from '../../src-shared/ipc/contract';
import {
  commIdAtPath,
  commPathOf,
  cellIndexAtPath,
  commStatePathOf,
  getCellIds,
  getComm,
  getCommIds,
  getComms,
  pathChangesNotebookView,
  type CommRecord,
  type NotebookDoc,
} from '../../src-shared/schema/notebook-doc';

export interface DocChanges {
  /** Null when no comm changed. */
  comms: CommsChange | null;
  /** Cells, kernel or dirty flag changed. */
  notebook: boolean;
  /** Ids of the cells whose content changed, or 'all' when cells were added, removed or moved. */
  cells: 'all' | Set<string>;
}

export function sameHeads(a: readonly string[] | null, b: readonly string[]): boolean {
  if (!a || a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((h) => set.has(h));
}

/**
 * What changed since the windows were last told, collected change by change. Each replica
 * change arrives with Automerge's own patches (`ReplicaChange`), so classifying it costs no
 * second `A.diff`; only the comm records that changed are read, once, when the windows are told.
 */
export class PendingChanges {
  private touched = new Set<string>();
  private allComms = false;
  private notebook = false;
  private cellIds: 'all' | Set<string> = new Set();

  /** Classifies one change; `doc` is the doc right after it (so cell indexes name its cells). */
  add(doc: A.Doc<NotebookDoc>, patches: readonly A.Patch[]): void {
    const cellIndexes = new Set<number>();
    let allCells = false;
    for (const patch of patches) {
      const path = patch.path;
      // Whole comms (created, replaced, deleted) and single traits are the common cases; any
      // other path inside a comm (its seq, a conflict resolution) still names the comm it is in.
      const id = commPathOf(path) ?? commStatePathOf(path)?.commId ?? commIdAtPath(path);
      if (id === '') this.allComms = true;
      else if (id !== null) this.touched.add(id);
      else if (pathChangesNotebookView(path)) {
        this.notebook = true;
        const cell = cellIndexAtPath(path);
        if (cell === 'list') allCells = true;
        else if (cell !== null) cellIndexes.add(cell);
      }
    }
    if (allCells) this.cellIds = 'all';
    if (this.cellIds === 'all' || cellIndexes.size === 0) return;
    // Patch indexes are those of the doc as patched so far; with no cell added or removed in
    // this change they are the indexes of `doc`.
    const ids = getCellIds(doc);
    for (const i of cellIndexes) {
      const id = ids[i];
      if (id !== undefined) this.cellIds.add(id);
    }
  }

  /** Classifies the changes between two sets of heads (a merge, or no patches at hand). */
  addBetween(doc: A.Doc<NotebookDoc>, before: A.Heads, after: A.Heads): void {
    this.add(doc, A.diff(doc, before, after));
  }

  /** What the windows need, reading records from `doc`; `seen` is the doc they last saw. Resets. */
  take(doc: A.Doc<NotebookDoc>, seen: () => NotebookDoc): DocChanges {
    let comms: CommsChange | null = null;
    if (this.allComms) {
      comms = everything(doc, getCommIds(seen()));
    } else if (this.touched.size > 0) {
      const upserted: CommRecord[] = [];
      const removed: string[] = [];
      for (const id of this.touched) {
        const record = getComm(doc, id);
        if (record) upserted.push(record);
        else removed.push(id);
      }
      upserted.sort((a, b) => a.seq - b.seq);
      comms = { upserted, removed };
    }
    if (comms && comms.upserted.length === 0 && comms.removed.length === 0) comms = null;
    const result: DocChanges = { comms, notebook: this.notebook, cells: this.cellIds };
    this.touched = new Set();
    this.allComms = false;
    this.notebook = false;
    this.cellIds = new Set();
    return result;
  }
}

export function changesBetween(doc: A.Doc<NotebookDoc>, before: A.Heads, after: A.Heads): DocChanges {
  const pending = new PendingChanges();
  pending.addBetween(doc, before, after);
  return pending.take(doc, () => A.view(doc, before));
}

/** Every comm of `doc`, and the ids of `previous` it no longer has (a full resync). */
export function everything(doc: NotebookDoc, previous: Iterable<string>): CommsChange {
  const upserted = getComms(doc);
  const now = new Set(upserted.map((c) => c.id));
  return { upserted, removed: [...new Set(previous)].filter((id) => !now.has(id)) };
}
