/**
 * The notebook document: the one schema every process reads and writes.
 *
 * This module and its accessors are the only code that knows paths inside the doc.
 * Readers call `getComms`, `getCells`, …; writers call the mutators inside
 * `Automerge.change`.
 *
 * Encoding choices (why):
 * - Cell sources are Automerge text, so two windows can type in one cell.
 * - Everything else that is a string is an ImmutableString: outputs, metadata and widget
 *   state values are replaced wholesale, never edited character by character, and text
 *   would cost one op per character.
 * - Widget state is a map per comm with one entry per trait, each the trait's JSON
 *   encoding. Two writers changing different traits merge; the same trait converges
 *   last-writer-wins, as ipywidgets expects of a trait.
 * - Outputs and metadata hold JSON text written by the ipynb codec, which keeps Python's
 *   number spellings (1.0 vs 1), so untouched notebooks save byte-identically.
 * - Binary buffers never enter the doc: a value is replaced by `{ "$quireBlob": sha256 }`
 *   and the bytes live in the daemon's content-addressed blob store.
 */
import { ImmutableString, splice, updateText } from '@automerge/automerge';

/** Bump on breaking changes; readers refuse docs with a higher major than they know. */
export const SCHEMA_VERSION = 1;

export type CellType = 'code' | 'markdown' | 'raw';
export type CellRunState = 'idle' | 'queued' | 'running';

export interface CellDoc {
  id: string;
  cellType: CellType;
  source: string;
  metadata: ImmutableString;
  executionCount: number | null;
  outputs: ImmutableString[];
  attachments: ImmutableString | null;
  /** Fields of the cell this schema does not model, kept so saving loses nothing. */
  extra: ImmutableString | null;
  run: CellRunState;
}

export type CommOrigin = 'kernel' | 'saved';

export interface CommDoc {
  targetName: ImmutableString;
  modelModule: ImmutableString;
  modelModuleVersion: ImmutableString;
  modelName: ImmutableString;
  seq: number;
  origin: CommOrigin;
  state: { [key: string]: ImmutableString };
}

export interface KernelDoc {
  status: ImmutableString;
  name: ImmutableString | null;
  displayName: ImmutableString | null;
  language: ImmutableString | null;
  /** Human-readable reason for the last transition to dead, or a start failure. */
  error: ImmutableString | null;
}

export interface NotebookDoc {
  schemaVersion: number;
  /**
   * Random id of this doc's history. Two docs with the same id share their origin and can
   * be merged (a replica's unsent edits after the daemon restored its recovery snapshot);
   * with different ids they cannot.
   */
  docId?: string;
  nbformat: number;
  nbformatMinor: number;
  /** Notebook metadata without `widgets` (widget state lives in `comms`). */
  metadata: ImmutableString;
  /** Notebook-level fields this schema does not model. */
  extra: ImmutableString | null;
  cells: CellDoc[];
  comms: { [commId: string]: CommDoc };
  /** The last `seq` handed out; comms are created in `seq` order. */
  commSeq: number;
  kernel: KernelDoc;
  /** True once cells or metadata changed after the last load or save. */
  dirty?: boolean;
}

// ---------------------------------------------------------------------------------
// Read side

/** The widget record every client sees (DESIGN.md, "the widget path"). */
export interface CommRecord {
  id: string;
  targetName: string;
  modelModule: string;
  modelModuleVersion: string;
  modelName: string;
  seq: number;
  state: Record<string, unknown>;
}

export interface CellView {
  id: string;
  cellType: CellType;
  source: string;
  executionCount: number | null;
  outputs: Record<string, unknown>[];
  metadata: Record<string, unknown>;
  run: CellRunState;
}

export interface KernelView {
  status: string;
  name: string | null;
  displayName: string | null;
  language: string | null;
  error: string | null;
}

export interface BlobRef {
  $quireBlob: string;
}

export function blobRef(hash: string): BlobRef {
  return { $quireBlob: hash };
}

export function isBlobRef(value: unknown): value is BlobRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as BlobRef).$quireBlob === 'string'
  );
}

/** Automerge hands back ImmutableString objects or plain strings (text); both read as string. */
export function text(value: ImmutableString | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : value.val;
}

function textOrNull(value: ImmutableString | string | null | undefined): string | null {
  return value === null || value === undefined ? null : text(value);
}

function parseJsonText(value: ImmutableString | string | null | undefined, fallback: unknown): unknown {
  if (value === null || value === undefined) return fallback;
  try {
    return JSON.parse(text(value));
  } catch {
    return fallback;
  }
}

export function commStateValue(comm: CommDoc, key: string): unknown {
  return parseJsonText(comm.state[key], null);
}

export function commRecord(id: string, comm: CommDoc): CommRecord {
  const state: Record<string, unknown> = {};
  for (const key of Object.keys(comm.state)) state[key] = commStateValue(comm, key);
  return {
    id,
    targetName: text(comm.targetName),
    modelModule: text(comm.modelModule),
    modelModuleVersion: text(comm.modelModuleVersion),
    modelName: text(comm.modelName),
    seq: comm.seq,
    state,
  };
}

/** All comms, sorted by `seq` so a model comes after the models it references. */
export function getComms(doc: NotebookDoc): CommRecord[] {
  return Object.entries(doc.comms ?? {})
    .map(([id, comm]) => commRecord(id, comm))
    .sort((a, b) => a.seq - b.seq);
}

export function getComm(doc: NotebookDoc, id: string): CommRecord | undefined {
  const comm = doc.comms?.[id];
  return comm ? commRecord(id, comm) : undefined;
}

export function getCommOrigin(doc: NotebookDoc, id: string): CommOrigin | undefined {
  return doc.comms?.[id]?.origin;
}

/** The raw JSON text of one trait, as stored (for change detection without parsing). */
export function getCommStateText(doc: NotebookDoc, id: string, key: string): string | undefined {
  const value = doc.comms?.[id]?.state[key];
  return value === undefined ? undefined : text(value);
}

export function getCommIds(doc: NotebookDoc): string[] {
  return Object.keys(doc.comms ?? {});
}

export function getCells(doc: NotebookDoc): CellView[] {
  return (doc.cells ?? []).map((cell) => ({
    id: cell.id,
    cellType: cell.cellType,
    source: text(cell.source),
    executionCount: cell.executionCount,
    outputs: cell.outputs.map((o) => parseJsonText(o, {}) as Record<string, unknown>),
    metadata: parseJsonText(cell.metadata, {}) as Record<string, unknown>,
    run: cell.run,
  }));
}

export function getCellIndex(doc: NotebookDoc, cellId: string): number {
  return (doc.cells ?? []).findIndex((c) => c.id === cellId);
}

export function getCellSource(doc: NotebookDoc, cellId: string): string | undefined {
  const cell = doc.cells?.[getCellIndex(doc, cellId)];
  return cell ? text(cell.source) : undefined;
}

/** Every cell's source by id, without parsing outputs (cheap enough to call per keystroke). */
export function getCellSources(doc: NotebookDoc): Map<string, string> {
  return new Map((doc.cells ?? []).map((c) => [c.id, text(c.source)]));
}

export function getKernel(doc: NotebookDoc): KernelView {
  const k = doc.kernel;
  return {
    status: text(k?.status) || 'unknown',
    name: textOrNull(k?.name),
    displayName: textOrNull(k?.displayName),
    language: textOrNull(k?.language),
    error: textOrNull(k?.error),
  };
}

export function getDocId(doc: NotebookDoc): string | undefined {
  return typeof doc.docId === 'string' ? doc.docId : undefined;
}

/**
 * After the daemon restarts from a recovery snapshot nothing of the old kernel is alive:
 * its widgets become saved (read-only) widgets, and no cell is running.
 */
export function markKernelGone(d: NotebookDoc): void {
  for (const id of Object.keys(d.comms)) if (d.comms[id]!.origin === 'kernel') d.comms[id]!.origin = 'saved';
  for (const cell of d.cells) if (cell.run !== 'idle') cell.run = 'idle';
  setKernel(d, { status: 'unknown' });
}

export function isDirty(doc: NotebookDoc): boolean {
  return doc.dirty === true;
}

/**
 * Doc paths whose change makes the notebook differ from its file. Widget state does not
 * count (as in JupyterLab, moving a slider or losing the kernel does not dirty a notebook;
 * saving still writes the current widget state).
 */
export function pathDirties(path: readonly (string | number)[]): boolean {
  return path[0] === 'cells' || path[0] === 'metadata' || path[0] === 'extra';
}

export function getNotebookMetadata(doc: NotebookDoc): Record<string, unknown> {
  return parseJsonText(doc.metadata, {}) as Record<string, unknown>;
}

/** A doc is readable when it carries a schema version this build knows. */
export function checkSchemaVersion(doc: NotebookDoc): string | null {
  if (typeof doc.schemaVersion !== 'number') return 'the document has no schemaVersion';
  if (doc.schemaVersion > SCHEMA_VERSION) {
    return `the document uses schema ${doc.schemaVersion}, newer than this Quire (${SCHEMA_VERSION}); update Quire`;
  }
  return null;
}

// ---------------------------------------------------------------------------------
// Write side: call inside Automerge.change with the mutable doc.

const imm = (s: string) => new ImmutableString(s);

export function emptyKernel(): KernelDoc {
  return { status: imm('unknown'), name: null, displayName: null, language: null, error: null };
}

export interface NewCell {
  id: string;
  cellType: CellType;
  source: string;
  /** JSON text of the metadata (ipynb codec output). */
  metadataJson: string;
  executionCount: number | null;
  outputsJson: string[];
  attachmentsJson: string | null;
  extraJson: string | null;
}

export function makeCell(cell: NewCell): CellDoc {
  return {
    id: cell.id,
    cellType: cell.cellType,
    source: cell.source,
    metadata: imm(cell.metadataJson),
    executionCount: cell.executionCount,
    outputs: cell.outputsJson.map(imm),
    attachments: cell.attachmentsJson === null ? null : imm(cell.attachmentsJson),
    extra: cell.extraJson === null ? null : imm(cell.extraJson),
    run: 'idle',
  };
}

export interface NewNotebook {
  nbformat: number;
  nbformatMinor: number;
  metadataJson: string;
  extraJson: string | null;
  cells: NewCell[];
}

/** Fills an empty doc (from `Automerge.init()`) with a notebook. */
export function initNotebookDoc(d: NotebookDoc, nb: NewNotebook): void {
  d.schemaVersion = SCHEMA_VERSION;
  d.docId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  d.nbformat = nb.nbformat;
  d.nbformatMinor = nb.nbformatMinor;
  d.metadata = imm(nb.metadataJson);
  d.extra = nb.extraJson === null ? null : imm(nb.extraJson);
  d.cells = nb.cells.map(makeCell);
  d.comms = {};
  d.commSeq = 0;
  d.kernel = emptyKernel();
}

export function setNotebookMetadataJson(d: NotebookDoc, json: string): void {
  if (text(d.metadata) !== json) d.metadata = imm(json);
}

export interface NewComm {
  targetName: string;
  modelModule: string;
  modelModuleVersion: string;
  modelName: string;
  origin: CommOrigin;
  /** trait → JSON text */
  stateJson: Record<string, string>;
}

/** Creates (or replaces) a comm with the next `seq`. */
export function putComm(d: NotebookDoc, id: string, comm: NewComm): number {
  d.commSeq = (d.commSeq ?? 0) + 1;
  const state: { [key: string]: ImmutableString } = {};
  for (const [key, json] of Object.entries(comm.stateJson)) state[key] = imm(json);
  d.comms[id] = {
    targetName: imm(comm.targetName),
    modelModule: imm(comm.modelModule),
    modelModuleVersion: imm(comm.modelModuleVersion),
    modelName: imm(comm.modelName),
    seq: d.commSeq,
    origin: comm.origin,
    state,
  };
  return d.commSeq;
}

/** Sets traits (JSON text each); only keys whose text differs are written. Returns the keys written. */
export function setCommStateJson(d: NotebookDoc, id: string, patch: Record<string, string>): string[] {
  const comm = d.comms[id];
  if (!comm) return [];
  const written: string[] = [];
  for (const [key, json] of Object.entries(patch)) {
    const current = comm.state[key];
    if (current !== undefined && text(current) === json) continue;
    comm.state[key] = imm(json);
    written.push(key);
  }
  return written;
}

/** Convenience for clients: a patch of plain values. */
export function setCommState(d: NotebookDoc, id: string, patch: Record<string, unknown>): string[] {
  const json: Record<string, string> = {};
  for (const [key, value] of Object.entries(patch)) json[key] = JSON.stringify(value ?? null);
  return setCommStateJson(d, id, json);
}

export function deleteComm(d: NotebookDoc, id: string): boolean {
  if (!d.comms[id]) return false;
  delete d.comms[id];
  return true;
}

export function deleteCommsFrom(d: NotebookDoc, origin: CommOrigin): number {
  let n = 0;
  for (const id of Object.keys(d.comms)) {
    if (d.comms[id]!.origin === origin) {
      delete d.comms[id];
      n++;
    }
  }
  return n;
}

function cellById(d: NotebookDoc, cellId: string): CellDoc | undefined {
  return d.cells.find((c) => c.id === cellId);
}

export function setDirty(d: NotebookDoc, dirty: boolean): void {
  if ((d.dirty === true) !== dirty) d.dirty = dirty;
}

/** Replaces a cell's source as a minimal text edit, so concurrent typing merges. */
export function setCellSource(d: NotebookDoc, cellId: string, source: string): boolean {
  const index = d.cells.findIndex((c) => c.id === cellId);
  if (index < 0) return false;
  updateText(d, ['cells', index, 'source'], source);
  return true;
}

/** A replacement in a cell's source; offsets are UTF-16 code units of the source before the edit. */
export interface TextEdit {
  from: number;
  to: number;
  insert: string;
}

/**
 * Applies non-overlapping edits, all relative to the current source, as text splices (so an
 * edit merges with concurrent typing elsewhere in the cell). Returns false for an unknown cell.
 */
export function editCellSource(d: NotebookDoc, cellId: string, edits: readonly TextEdit[]): boolean {
  const index = d.cells.findIndex((c) => c.id === cellId);
  if (index < 0) return false;
  const length = text(d.cells[index]!.source).length;
  const ordered = [...edits].sort((a, b) => b.from - a.from);
  let limit = length;
  for (const e of ordered) {
    if (!(e.from >= 0 && e.from <= e.to && e.to <= limit)) throw new RangeError(`edit ${e.from}..${e.to} does not fit a source of length ${length}`);
    limit = e.from;
  }
  // Back to front, so each splice's offsets are still those of the unedited source.
  for (const e of ordered) splice(d, ['cells', index, 'source'], e.from, e.to - e.from, e.insert);
  return true;
}

export function appendCell(d: NotebookDoc, cell: NewCell): void {
  d.cells.push(makeCell(cell));
}

export function setCellRun(d: NotebookDoc, cellId: string, run: CellRunState): void {
  const cell = cellById(d, cellId);
  if (cell && cell.run !== run) cell.run = run;
}

export function setCellExecutionCount(d: NotebookDoc, cellId: string, count: number | null): void {
  const cell = cellById(d, cellId);
  if (cell && cell.executionCount !== count) cell.executionCount = count;
}

export function clearCellOutputs(d: NotebookDoc, cellId: string): void {
  const cell = cellById(d, cellId);
  if (cell && cell.outputs.length) cell.outputs.splice(0, cell.outputs.length);
}

export function getCellOutputCount(d: NotebookDoc, cellId: string): number {
  return cellById(d, cellId)?.outputs.length ?? 0;
}

export function getCellOutputJson(d: NotebookDoc, cellId: string, index: number): string | undefined {
  const out = cellById(d, cellId)?.outputs[index];
  return out === undefined ? undefined : text(out);
}

export function appendCellOutput(d: NotebookDoc, cellId: string, outputJson: string): number {
  const cell = cellById(d, cellId);
  if (!cell) return -1;
  cell.outputs.push(imm(outputJson));
  return cell.outputs.length - 1;
}

export function replaceCellOutput(d: NotebookDoc, cellId: string, index: number, outputJson: string): void {
  const cell = cellById(d, cellId);
  if (cell && index >= 0 && index < cell.outputs.length) cell.outputs[index] = imm(outputJson);
}

export interface KernelPatch {
  status?: string;
  name?: string | null;
  displayName?: string | null;
  language?: string | null;
  error?: string | null;
}

export function setKernel(d: NotebookDoc, patch: KernelPatch): void {
  const k = d.kernel;
  for (const key of ['status', 'name', 'displayName', 'language', 'error'] as const) {
    if (!(key in patch)) continue;
    const value = patch[key];
    if (textOrNull(k[key]) === (value ?? null)) continue;
    if (key === 'status') k.status = imm(value ?? 'unknown');
    else k[key] = value === null || value === undefined ? null : imm(value);
  }
}

/** Doc paths that carry widget state, for diff consumers (the daemon's kernel bridge). */
export function commStatePathOf(path: readonly (string | number)[]): { commId: string; key: string } | null {
  if (path[0] === 'comms' && typeof path[1] === 'string' && path[2] === 'state' && typeof path[3] === 'string') {
    return { commId: path[1], key: path[3] };
  }
  return null;
}

/** A whole comm created or deleted at this path (diff consumers). */
export function commPathOf(path: readonly (string | number)[]): string | null {
  return path[0] === 'comms' && typeof path[1] === 'string' && path.length === 2 ? path[1] : null;
}

/** The comm a diff path lies in, at any depth: its id, '' for the comms map itself, null outside comms. */
export function commIdAtPath(path: readonly (string | number)[]): string | null {
  if (path[0] !== 'comms') return null;
  return typeof path[1] === 'string' ? path[1] : '';
}

/** Whether a change at this diff path alters what `getCells`, `getKernel` or `isDirty` read. */
export function pathChangesNotebookView(path: readonly (string | number)[]): boolean {
  return path[0] === 'cells' || path[0] === 'kernel' || path[0] === 'dirty';
}
