/**
 * What changed in a notebook replica between two sets of heads, in the terms windows use:
 * a `CommsChange` (whole records of the comms that changed, ids of the ones that went) and
 * whether the notebook view (cells, kernel, dirty) changed. Computed from `Automerge.diff`, so
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

export function changesBetween(doc: A.Doc<NotebookDoc>, before: A.Heads, after: A.Heads): DocChanges {
  const touched = new Set<string>();
  let allComms = false;
  let notebook = false;
  const cellIndexes = new Set<number>();
  let allCells = false;
  for (const patch of A.diff(doc, before, after)) {
    const path = patch.path;
    // Whole comms (created, replaced, deleted) and single traits are the common cases; any
    // other path inside a comm (its seq, a conflict resolution) still names the comm it is in.
    const id = commPathOf(path) ?? commStatePathOf(path)?.commId ?? commIdAtPath(path);
    if (id === '') allComms = true;
    else if (id !== null) touched.add(id);
    else if (pathChangesNotebookView(path)) {
      notebook = true;
      const cell = cellIndexAtPath(path);
      if (cell === 'list') allCells = true;
      else if (cell !== null) cellIndexes.add(cell);
    }
  }
  // Patch indexes are those of the doc as patched so far; with no cell added or removed in
  // this batch they are the indexes of `doc`.
  const cellIds = getCellIds(doc);
  const cells: 'all' | Set<string> = allCells ? 'all' : new Set([...cellIndexes].map((i) => cellIds[i]).filter((id): id is string => id !== undefined));
  let comms: CommsChange | null = null;
  if (allComms) {
    comms = everything(doc, getCommIds(A.view(doc, before)));
  } else if (touched.size > 0) {
    const upserted: CommRecord[] = [];
    const removed: string[] = [];
    for (const id of touched) {
      const record = getComm(doc, id);
      if (record) upserted.push(record);
      else removed.push(id);
    }
    upserted.sort((a, b) => a.seq - b.seq);
    comms = { upserted, removed };
  }
  if (comms && comms.upserted.length === 0 && comms.removed.length === 0) comms = null;
  return { comms, notebook, cells };
}

/** Every comm of `doc`, and the ids of `previous` it no longer has (a full resync). */
export function everything(doc: NotebookDoc, previous: Iterable<string>): CommsChange {
  const upserted = getComms(doc);
  const now = new Set(upserted.map((c) => c.id));
  return { upserted, removed: [...new Set(previous)].filter((id) => !now.has(id)) };
}
