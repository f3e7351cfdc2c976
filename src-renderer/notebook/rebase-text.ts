/**
 * Keeps a cell's unsent local edit when a remote edit arrives: both edits are reduced to one
 * splice against the common base, and the remote splice is replayed onto the local text.
 * Overlapping edits keep the local one (it is sent next and wins). Hand-written because it
 * is a dozen lines; the editing issue replaces it with CodeMirror bound to Automerge text.
 */
export interface Splice {
  start: number;
  deleted: number;
  inserted: string;
}

/** The single splice turning `a` into `b` (common prefix and suffix left alone). */
export function spliceBetween(a: string, b: string): Splice {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return { start, deleted: endA - start, inserted: b.slice(start, endB) };
}

export function rebaseText(base: string, local: string, remote: string): string {
  if (local === base) return remote;
  if (remote === base) return local;
  const l = spliceBetween(base, local);
  const r = spliceBetween(base, remote);
  if (r.start >= l.start + l.deleted) {
    const at = r.start + l.inserted.length - l.deleted;
    return local.slice(0, at) + r.inserted + local.slice(at + r.deleted);
  }
  if (r.start + r.deleted <= l.start) {
    return local.slice(0, r.start) + r.inserted + local.slice(r.start + r.deleted);
  }
  return local;
}
