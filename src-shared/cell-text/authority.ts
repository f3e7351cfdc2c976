/**
 * The authority for cell text edits from this host's windows (the central service of
 * @codemirror/collab's protocol, one log per cell).
 *
 * Why a log beside the Automerge replica: windows hold CodeMirror editors, not replicas. An
 * editor pushes its edits as ChangeSets tagged with the version it last saw; the authority
 * accepts them only on top of the current version (the editor rebases and retries
 * otherwise), writes them into the replica as text splices, and every editor on the cell
 * receives the same ordered updates. CodeMirror's collab extension does the rebasing and
 * keeps cursors and undo history right (undo only touches the window's own edits).
 *
 * Edits that reach the replica some other way (another host, a headless client, the daemon
 * reloading a file) are found by `observe`, which compares the replica's text with the log's
 * and appends the difference as one update from `FOREIGN_CLIENT`.
 */
import { ChangeSet, Text } from '@codemirror/state';
import type { CellTextPull, CellTextUpdate } from '../ipc/contract';

/** The clientID of updates that did not come from an editor of this host. */
export const FOREIGN_CLIENT = 'quire:foreign';
/** Updates kept per cell; an editor further behind gets the whole text instead. */
const LOG_LIMIT = 1000;

interface CellLog {
  text: Text;
  /** `text` as a string, kept beside it: observe compares it on every doc change. */
  string: string;
  /** Version of `updates[0]`; `base + updates.length` is the current version. */
  base: number;
  updates: { clientID: string; changes: ChangeSet }[];
}

/** What the authority may do to the replica. */
export interface CellTextStore {
  /** Current source of every cell, by id. */
  sources(): Map<string, string>;
  /** Current source of one cell (undefined when there is no such cell). */
  source(cellId: string): string | undefined;
  /** Applies `changes` (made against the cell's current source) to the replica. */
  apply(cellId: string, changes: ChangeSet): void;
}

export class CellTextAuthority {
  private readonly logs = new Map<string, CellLog>();

  constructor(private readonly store: CellTextStore) {}

  /**
   * Brings the logs up to the replica — for the cells in `only`, or for every cell: new cells
   * start at version 0, removed cells are dropped, and text changed outside the authority
   * becomes one foreign update per cell. Returns those updates for the windows.
   */
  observe(only?: Iterable<string>): { cellId: string; version: number; updates: CellTextUpdate[] }[] {
    const out: { cellId: string; version: number; updates: CellTextUpdate[] }[] = [];
    if (only) {
      for (const id of only) this.observeCell(id, this.store.source(id), out);
      return out;
    }
    const sources = this.store.sources();
    for (const id of this.logs.keys()) if (!sources.has(id)) this.logs.delete(id);
    for (const [id, source] of sources) this.observeCell(id, source, out);
    return out;
  }

  private observeCell(id: string, source: string | undefined, out: { cellId: string; version: number; updates: CellTextUpdate[] }[]): void {
    const log = this.logs.get(id);
    if (source === undefined) {
      this.logs.delete(id);
      return;
    }
    if (!log) {
      this.logs.set(id, { text: Text.of(source.split('\n')), string: source, base: 0, updates: [] });
      return;
    }
    if (log.string === source) return;
    const changes = minimalChange(log.string, source);
    const version = this.versionOf(log);
    this.append(log, FOREIGN_CLIENT, changes);
    out.push({ cellId: id, version, updates: [{ clientID: FOREIGN_CLIENT, changes: changes.toJSON() }] });
  }

  /** The cell's current version (after `observe`), or undefined for an unknown cell. */
  version(cellId: string): number | undefined {
    const log = this.logs.get(cellId);
    return log ? this.versionOf(log) : undefined;
  }

  /** The cell's text as the authority knows it. */
  text(cellId: string): string | undefined {
    return this.logs.get(cellId)?.string;
  }

  /** Updates after `version`, or the whole text when the editor is further behind than the log. */
  pull(cellId: string, version: number): CellTextPull {
    const log = this.requireLog(cellId);
    const current = this.versionOf(log);
    if (version < log.base || version > current) return { reset: { version: current, text: log.string } };
    return {
      version,
      updates: log.updates.slice(version - log.base).map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() })),
    };
  }

  /**
   * Accepts an editor's updates made on top of `version`. Returns false (nothing applied)
   * when the editor is behind: it receives the missing updates, rebases and pushes again.
   * Throws on updates that do not fit the text (a broken or hostile editor).
   */
  push(cellId: string, version: number, updates: CellTextUpdate[]): { accepted: boolean; version: number } {
    const log = this.requireLog(cellId);
    if (version !== this.versionOf(log)) return { accepted: false, version: this.versionOf(log) };
    const parsed = updates.map((u) => ({ clientID: u.clientID, changes: parseChanges(u.changes, cellId) }));
    let length = log.text.length;
    for (const u of parsed) {
      if (u.changes.length !== length) throw new Error(`an edit to cell ${cellId} does not fit its text (expected length ${length}, got ${u.changes.length})`);
      length = u.changes.newLength;
    }
    for (const u of parsed) {
      this.store.apply(cellId, u.changes);
      this.append(log, u.clientID, u.changes);
    }
    return { accepted: true, version: this.versionOf(log) };
  }

  private requireLog(cellId: string): CellLog {
    const log = this.logs.get(cellId);
    if (!log) throw new Error(`no cell ${cellId} in this notebook`);
    return log;
  }

  private versionOf(log: CellLog): number {
    return log.base + log.updates.length;
  }

  private append(log: CellLog, clientID: string, changes: ChangeSet): void {
    log.text = changes.apply(log.text);
    log.string = log.text.toString();
    log.updates.push({ clientID, changes });
    if (log.updates.length > LOG_LIMIT) {
      const drop = log.updates.length - LOG_LIMIT;
      log.updates.splice(0, drop);
      log.base += drop;
    }
  }
}

function parseChanges(json: unknown, cellId: string): ChangeSet {
  try {
    return ChangeSet.fromJSON(json);
  } catch (err) {
    throw new Error(`an edit to cell ${cellId} is not a valid change set: ${(err as Error).message}`);
  }
}

/** One replacement covering everything between the common prefix and suffix. */
export function minimalChange(before: string, after: string): ChangeSet {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  // Never split a surrogate pair: CodeMirror positions are UTF-16 but a half pair is not text.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return ChangeSet.of({ from: start, to: before.length - end, insert: after.slice(start, after.length - end) }, before.length);
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
