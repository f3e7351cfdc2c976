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
 * - A comm is written once as one ImmutableString (`opened`: its model, seq and every trait's
 *   JSON as the kernel opened it), plus a map of traits written later (`state`, one entry per
 *   trait, each the trait's JSON), which win over `opened`. Two writers changing different
 *   traits merge; the same trait converges last-writer-wins, as ipywidgets expects of a trait.
 *   One value instead of one per trait because a comm's creation is the bulk of widget
 *   traffic: 1000 sliders are 3000 comms of ~20 traits, and each Automerge op costs every
 *   replica ~30 µs to make, sync and apply (bench scenario 3: 60k ops → 12k).
 * - Outputs and metadata hold JSON text written by the ipynb codec, which keeps Python's
 *   number spellings (1.0 vs 1), so untouched notebooks save byte-identically.
 * - Binary buffers never enter the doc: a value is replaced by `{ "$quireBlob": sha256 }`
 *   and the bytes live in the daemon's content-addressed blob store.
 */
import { from, ImmutableString, splice, toJS, updateText, type Doc } from '@automerge/automerge';
import { isValidCellId } from '../ipynb/cell-id';

/** Bump on breaking changes; readers refuse docs with a higher major than they know. */
export const SCHEMA_VERSION = 2;

export type CellType = 'code' | 'markdown' | 'raw';
export type CellRunState = 'idle' | 'queued' | 'running';
/** How a cell's last execution ended (the execute_reply status, or aborted by the daemon). */
export type RunStatus = 'ok' | 'error' | 'aborted';

/** Timing of a cell's last execution, written by the daemon; never saved to the .ipynb. */
export interface LastRunDoc {
  startedAt: number;
  durationMs: number | null;
  status: ImmutableString | null;
}

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
  /** Absent in docs written before it existed; readers treat absent as null. */
  lastRun?: LastRunDoc | null;
}

export type CommOrigin = 'kernel' | 'saved';

export interface CommDoc {
  /** JSON of `OpenedComm`; absent in schema 1 docs, which have the legacy fields below. */
  opened?: ImmutableString;
  /** A CommOrigin; an ImmutableString (one op), text in schema 1 docs (one op per letter). */
  origin: ImmutableString | string;
  /** Traits written after the comm was opened: trait → JSON text. Each wins over `opened`. */
  state: { [key: string]: ImmutableString };
  /** Schema 1 (a recovery snapshot from an older daemon): the model and seq as fields, every trait in `state`. */
  targetName?: ImmutableString;
  modelModule?: ImmutableString;
  modelModuleVersion?: ImmutableString;
  modelName?: ImmutableString;
  seq?: number;
}

/** A comm's model identity and seq: a CommRecord without its id and traits. */
export type CommModel = Omit<CommRecord, 'id' | 'state'>;

/** A comm as the kernel (or the file) opened it; stored as JSON text in `CommDoc.opened`. */
interface OpenedComm extends CommModel {
  /** trait → JSON text */
  state: Record<string, string>;
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
  /** The notebook file's state (saving, saved, changed on disk); written by the daemon. */
  file?: FileDoc;
  /** Set while a crash-recovery snapshot was restored and the user has not decided about it. */
  recovery?: RecoveryDoc | null;
}

export interface FileDoc {
  savedAt: number | null;
  saving: boolean;
  error: ImmutableString | null;
  changedOnDisk: boolean;
  autosave: boolean;
}

export interface RecoveryDoc {
  restoredAt: number;
  snapshotAt: number;
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
  lastRun: LastRun | null;
}

/**
 * A cell's last execution. `startedAt` is ms since the epoch when the kernel started it;
 * `durationMs` and `status` are null while it runs. A cell aborted before it started
 * (kernel died or restarted while it was queued, or an earlier cell failed) has
 * `status: 'aborted'`, `durationMs: null` and `startedAt` = when it was aborted.
 */
export interface LastRun {
  startedAt: number;
  durationMs: number | null;
  status: RunStatus | null;
}

/**
 * The notebook file as every client should show it.
 * - `savedAt`: ms since the epoch of the last save by Quire since the notebook was opened
 *   (null: not saved since it was opened).
 * - `saving`: a save (manual or autosave) is being written.
 * - `error`: why the last save failed (cleared by the next successful save or a reload).
 * - `changedOnDisk`: another program changed the file since Quire loaded or saved it; a
 *   plain save is refused until the user reloads or saves with `overwrite`.
 * - `autosave`: the daemon saves this notebook on its own when dirty and quiet.
 */
export interface FileView {
  savedAt: number | null;
  saving: boolean;
  error: string | null;
  changedOnDisk: boolean;
  autosave: boolean;
}

/** A crash-recovery snapshot was restored at `restoredAt`; it was written at `snapshotAt` (ms since the epoch). */
export interface RecoveryView {
  restoredAt: number;
  snapshotAt: number;
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

const openedCache = new WeakMap<object, OpenedComm>();

/** The comm as opened, parsed once per stored value (an ImmutableString never changes). */
function openedOf(comm: CommDoc): OpenedComm {
  const stored = comm.opened;
  if (stored === undefined) {
    return {
      targetName: text(comm.targetName),
      modelModule: text(comm.modelModule),
      modelModuleVersion: text(comm.modelModuleVersion),
      modelName: text(comm.modelName),
      seq: typeof comm.seq === 'number' ? comm.seq : 0,
      state: {},
    };
  }
  // Outside a change the same ImmutableString comes back on every read; inside one it does not.
  const cacheable = typeof stored === 'object' && stored !== null;
  const cached = cacheable ? openedCache.get(stored) : undefined;
  if (cached) return cached;
  const raw = parseJsonText(stored, null) as Partial<OpenedComm> | null;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const state: Record<string, string> = {};
  if (raw && typeof raw.state === 'object' && raw.state !== null) {
    for (const [key, json] of Object.entries(raw.state)) if (typeof json === 'string') state[key] = json;
  }
  const opened: OpenedComm = {
    targetName: str(raw?.targetName),
    modelModule: str(raw?.modelModule),
    modelModuleVersion: str(raw?.modelModuleVersion),
    modelName: str(raw?.modelName),
    seq: typeof raw?.seq === 'number' ? raw.seq : 0,
    state,
  };
  if (cacheable) openedCache.set(stored, opened);
  return opened;
}

function modelOf(comm: CommDoc): CommModel {
  const { state: _traits, ...model } = openedOf(comm);
  return model;
}

function originOf(comm: CommDoc): CommOrigin {
  return text(comm.origin) === 'kernel' ? 'kernel' : 'saved';
}

/** Every trait's JSON text: as opened, overridden by the traits written since. */
function commStateJson(comm: CommDoc): Record<string, string> {
  const out: Record<string, string> = { ...openedOf(comm).state };
  for (const key of Object.keys(comm.state ?? {})) out[key] = text(comm.state[key]);
  return out;
}

export function commRecord(id: string, comm: CommDoc): CommRecord {
  const state: Record<string, unknown> = {};
  for (const [key, json] of Object.entries(commStateJson(comm))) state[key] = parseJsonText(json, null);
  return { id, ...modelOf(comm), state };
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

/** A comm's model identity and seq, without parsing its traits. */
export function getCommModel(doc: NotebookDoc, id: string): CommModel | undefined {
  const comm = doc.comms?.[id];
  return comm ? modelOf(comm) : undefined;
}

export function hasComm(doc: NotebookDoc, id: string): boolean {
  return doc.comms?.[id] !== undefined;
}

export function getCommOrigin(doc: NotebookDoc, id: string): CommOrigin | undefined {
  const comm = doc.comms?.[id];
  return comm ? originOf(comm) : undefined;
}

/** The raw JSON text of one trait, as stored (for change detection without parsing). */
export function getCommStateText(doc: NotebookDoc, id: string, key: string): string | undefined {
  const comm = doc.comms?.[id];
  if (!comm) return undefined;
  const value = comm.state?.[key];
  return value === undefined ? openedOf(comm).state[key] : text(value);
}

/** Every trait's raw JSON text (for codecs and change detection without parsing). */
export function getCommStateJson(doc: NotebookDoc, id: string): Record<string, string> | undefined {
  const comm = doc.comms?.[id];
  return comm ? commStateJson(comm) : undefined;
}

export function getCommIds(doc: NotebookDoc): string[] {
  return Object.keys(doc.comms ?? {});
}

export function getCells(doc: NotebookDoc): CellView[] {
  return (doc.cells ?? []).map(cellView);
}

/** The cells with these ids, in notebook order (a window's update after a few cells changed). */
export function getCellsById(doc: NotebookDoc, ids: ReadonlySet<string>): CellView[] {
  return (doc.cells ?? []).filter((c) => ids.has(c.id)).map(cellView);
}

export function getCellIds(doc: NotebookDoc): string[] {
  return (doc.cells ?? []).map((c) => c.id);
}

function cellView(cell: CellDoc): CellView {
  return {
    id: cell.id,
    cellType: cell.cellType,
    source: text(cell.source),
    executionCount: cell.executionCount,
    outputs: cell.outputs.map((o) => parseJsonText(o, {}) as Record<string, unknown>),
    metadata: parseJsonText(cell.metadata, {}) as Record<string, unknown>,
    run: cell.run,
    lastRun: readLastRun(cell.lastRun),
  };
}

function readLastRun(value: LastRunDoc | null | undefined): LastRun | null {
  if (!value || typeof value.startedAt !== 'number') return null;
  const status = textOrNull(value.status);
  return {
    startedAt: value.startedAt,
    durationMs: typeof value.durationMs === 'number' ? value.durationMs : null,
    status: status === 'ok' || status === 'error' || status === 'aborted' ? status : null,
  };
}

const NO_FILE_STATE: FileView = { savedAt: null, saving: false, error: null, changedOnDisk: false, autosave: false };

/** The file record; docs written before it existed read as "nothing known". */
export function getFileState(doc: NotebookDoc): FileView {
  const f = doc.file;
  if (!f) return { ...NO_FILE_STATE };
  return {
    savedAt: typeof f.savedAt === 'number' ? f.savedAt : null,
    saving: f.saving === true,
    error: textOrNull(f.error),
    changedOnDisk: f.changedOnDisk === true,
    autosave: f.autosave === true,
  };
}

export function getRecovery(doc: NotebookDoc): RecoveryView | null {
  const r = doc.recovery;
  if (!r || typeof r.restoredAt !== 'number') return null;
  return { restoredAt: r.restoredAt, snapshotAt: typeof r.snapshotAt === 'number' ? r.snapshotAt : r.restoredAt };
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

function newDocId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The same notebook as a new history of one change, under a new docId. A long history (100k
 * separate edits) takes Automerge hundreds of ms to load; the copy loads in a few. A replica of
 * the old history cannot merge into the copy (`adopt` compares docIds), so only a doc with no
 * replica attached may be replaced by it.
 */
export function compactNotebookDoc(doc: Doc<NotebookDoc>): Doc<NotebookDoc> {
  const copy = toJS(doc);
  copy.docId = newDocId();
  return from(copy as unknown as Record<string, unknown>) as unknown as Doc<NotebookDoc>;
}

export function getDocId(doc: NotebookDoc): string | undefined {
  return typeof doc.docId === 'string' ? doc.docId : undefined;
}

/**
 * After the daemon restarts from a recovery snapshot nothing of the old kernel is alive:
 * its widgets become saved (read-only) widgets, and no cell is running.
 */
export function markKernelGone(d: NotebookDoc, now = Date.now()): void {
  for (const id of Object.keys(d.comms)) setCommOrigin(d, id, 'saved');
  abortCellRuns(d, now);
  setKernel(d, { status: 'unknown' });
}

/** Every queued or running cell is marked aborted (the daemon that tracked them is gone). */
export function abortCellRuns(d: NotebookDoc, now = Date.now()): void {
  for (const cell of d.cells) if (cell.run !== 'idle') finishCellRun(d, cell.id, 'aborted', now);
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
  // A cell's run state and timing are the kernel's business, not the file's (neither is saved).
  if (path[0] === 'cells' && (path[2] === 'run' || path[2] === 'lastRun')) return false;
  return path[0] === 'cells' || path[0] === 'metadata' || path[0] === 'extra';
}

export function getNotebookMetadata(doc: NotebookDoc): Record<string, unknown> {
  return parseJsonText(doc.metadata, {}) as Record<string, unknown>;
}

/** `metadata.kernelspec` when it names a kernel (nbformat requires name and display_name). */
export function getNotebookKernelspec(doc: NotebookDoc): { name: string; displayName: string } | null {
  const spec = getNotebookMetadata(doc).kernelspec as { name?: unknown; display_name?: unknown } | undefined;
  if (!spec || typeof spec.name !== 'string' || !spec.name) return null;
  return { name: spec.name, displayName: typeof spec.display_name === 'string' ? spec.display_name : spec.name };
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
  d.docId = newDocId();
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

/** Seqs handed out inside `batchCommSeqs`, keyed by the change's draft; null until a comm opens. */
const seqBatches = new WeakMap<NotebookDoc, { last: number | null }>();

/**
 * Runs `fn` (mutators on the draft `d`) with `commSeq` written once at the end instead of
 * once per `putComm`. Every put of the same key is an op of its own in Automerge: a burst of
 * 3000 comm_opens in one change paid 3000 overwrites of `commSeq`, which cost more than the
 * comms themselves (bench scenario 3; measured alone: a change opening 100 comms 23–36 → 14 ms).
 */
export function batchCommSeqs<T>(d: NotebookDoc, fn: () => T): T {
  if (seqBatches.has(d)) return fn();
  // The counter is read only once a comm opens: most batches (a widget update) open none.
  const batch: { last: number | null } = { last: null };
  seqBatches.set(d, batch);
  try {
    return fn();
  } finally {
    seqBatches.delete(d);
    if (batch.last !== null) d.commSeq = batch.last;
  }
}

/** Creates (or replaces) a comm with the next `seq`. */
export function putComm(d: NotebookDoc, id: string, comm: NewComm): number {
  const batch = seqBatches.get(d);
  const seq = batch ? (batch.last = (batch.last ?? d.commSeq ?? 0) + 1) : (d.commSeq = (d.commSeq ?? 0) + 1);
  const opened: OpenedComm = {
    targetName: comm.targetName,
    modelModule: comm.modelModule,
    modelModuleVersion: comm.modelModuleVersion,
    modelName: comm.modelName,
    seq,
    state: comm.stateJson,
  };
  d.comms[id] = { opened: imm(JSON.stringify(opened)), origin: imm(comm.origin), state: {} };
  return seq;
}

/** Sets traits (JSON text each); only keys whose text differs are written. Returns the keys written. */
export function setCommStateJson(d: NotebookDoc, id: string, patch: Record<string, string>): string[] {
  const comm = d.comms[id];
  if (!comm) return [];
  const written: string[] = [];
  let opened: OpenedComm | undefined; // parsed at most once per call (no cache inside a change)
  for (const [key, json] of Object.entries(patch)) {
    const current = comm.state[key];
    const known = current !== undefined ? text(current) : (opened ??= openedOf(comm)).state[key];
    if (known === json) continue;
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

/** Marks a comm live (a kernel holds it) or saved (read-only until a kernel recreates it). */
export function setCommOrigin(d: NotebookDoc, id: string, origin: CommOrigin): boolean {
  const comm = d.comms[id];
  if (!comm) return false;
  if (originOf(comm) !== origin) comm.origin = imm(origin);
  return true;
}

export function deleteComm(d: NotebookDoc, id: string): boolean {
  if (!d.comms[id]) return false;
  delete d.comms[id];
  return true;
}

export function deleteCommsFrom(d: NotebookDoc, origin: CommOrigin): number {
  let n = 0;
  for (const id of Object.keys(d.comms)) {
    if (originOf(d.comms[id]!) === origin) {
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
  // A cell turned into markdown while it ran has no outputs in nbformat; drop late ones.
  if (!cell || cell.cellType !== 'code') return -1;
  cell.outputs.push(imm(outputJson));
  return cell.outputs.length - 1;
}

export function replaceCellOutput(d: NotebookDoc, cellId: string, index: number, outputJson: string): void {
  const cell = cellById(d, cellId);
  if (cell && index >= 0 && index < cell.outputs.length) cell.outputs[index] = imm(outputJson);
}

// ---- run state and timing (the daemon writes these) ---------------------------------

/** The kernel started running the cell: it is running, with a fresh `lastRun`. */
export function startCellRun(d: NotebookDoc, cellId: string, startedAt: number): void {
  const cell = cellById(d, cellId);
  if (!cell) return;
  if (cell.run !== 'running') cell.run = 'running';
  // Only code cells run; one turned into markdown meanwhile keeps no timing.
  if (cell.cellType === 'code') cell.lastRun = { startedAt, durationMs: null, status: null };
}

/**
 * The cell's execution ended or was aborted: idle, with the outcome in `lastRun`. A run
 * that started gets its duration; one aborted before it started gets a record of that.
 */
export function finishCellRun(d: NotebookDoc, cellId: string, status: RunStatus, endedAt: number): void {
  const cell = cellById(d, cellId);
  if (!cell) return;
  if (cell.run !== 'idle') cell.run = 'idle';
  if (cell.cellType !== 'code') return;
  const last = cell.lastRun;
  if (last && typeof last.startedAt === 'number' && (last.status === null || last.status === undefined)) {
    last.durationMs = Math.max(0, endedAt - last.startedAt);
    last.status = imm(status);
  } else {
    cell.lastRun = { startedAt: endedAt, durationMs: null, status: imm(status) };
  }
}

// ---- file state and recovery (the daemon writes these) ------------------------------

/** Writes the fields of `patch` that differ; creates the record in docs that lack it. */
export function setFileState(d: NotebookDoc, patch: Partial<FileView>): void {
  if (!d.file) d.file = { ...NO_FILE_STATE, error: null };
  const f = d.file;
  const current = getFileState(d);
  if (patch.savedAt !== undefined && current.savedAt !== patch.savedAt) f.savedAt = patch.savedAt;
  if (patch.saving !== undefined && current.saving !== patch.saving) f.saving = patch.saving;
  if (patch.error !== undefined && current.error !== patch.error) f.error = patch.error === null ? null : imm(patch.error);
  if (patch.changedOnDisk !== undefined && current.changedOnDisk !== patch.changedOnDisk) f.changedOnDisk = patch.changedOnDisk;
  if (patch.autosave !== undefined && current.autosave !== patch.autosave) f.autosave = patch.autosave;
}

export function setRecovery(d: NotebookDoc, recovery: RecoveryView | null): void {
  if (recovery === null) {
    if (d.recovery) d.recovery = null;
    return;
  }
  d.recovery = { restoredAt: recovery.restoredAt, snapshotAt: recovery.snapshotAt };
}

// ---- cell structure (clients call these inside Automerge.change) ----------------------
//
// They throw on bad input (unknown cell, index out of range, bad id), and Automerge.change
// then discards the whole change, so a failed edit leaves the doc as it was. The daemon marks
// the notebook dirty when it receives them: every path they write is under `cells`
// (`pathDirties`), exactly like `setCellSource`.

const CELL_TYPES: readonly CellType[] = ['code', 'markdown', 'raw'];

/** A new empty cell (for `insertCell`); make ids with `newCellId` (src-shared/ipynb/cell-id). */
export function blankCell(id: string, cellType: CellType = 'code', source = ''): NewCell {
  return {
    id,
    cellType,
    source,
    metadataJson: '{}',
    executionCount: null,
    outputsJson: [],
    attachmentsJson: null,
    extraJson: null,
  };
}

function requireCellIndex(d: NotebookDoc, cellId: string): number {
  const index = d.cells.findIndex((c) => c.id === cellId);
  if (index < 0) throw new Error(`no cell with id "${cellId}" in this notebook (another window may have deleted it)`);
  return index;
}

function requireCellType(type: unknown): asserts type is CellType {
  if (!CELL_TYPES.includes(type as CellType)) throw new Error(`cell type must be code, markdown or raw, not ${JSON.stringify(type)}`);
}

function requireNewCellId(d: NotebookDoc, id: string): void {
  if (typeof id !== 'string' || !isValidCellId(id)) {
    throw new Error(`${JSON.stringify(id)} is not a valid cell id (nbformat: 1–64 characters of a-z, A-Z, 0-9, - and _)`);
  }
  if (d.cells.some((c) => c.id === id)) throw new Error(`a cell with id "${id}" already exists in this notebook`);
}

function requireOffset(what: string, value: number, max: number, source: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} ${value} is outside the cell's source (0..${max} UTF-16 code units)`);
  }
  // An offset between the halves of a surrogate pair would cut a character in two.
  const code = source.charCodeAt(value - 1);
  if (value > 0 && value < source.length && code >= 0xd800 && code <= 0xdbff) {
    throw new RangeError(`${what} ${value} falls inside a surrogate pair (a character outside the BMP)`);
  }
}

/** Inserts a cell so that it ends up at `index` (0..cells.length). */
export function insertCell(d: NotebookDoc, index: number, cell: NewCell): void {
  if (!Number.isInteger(index) || index < 0 || index > d.cells.length) {
    throw new RangeError(`cannot insert a cell at index ${index}: the notebook has ${d.cells.length} cells (0..${d.cells.length} allowed)`);
  }
  requireCellType(cell.cellType);
  requireNewCellId(d, cell.id);
  d.cells.splice(index, 0, makeCell(cell));
}

export function deleteCell(d: NotebookDoc, cellId: string): void {
  d.cells.splice(requireCellIndex(d, cellId), 1);
}

/** A fresh copy of a cell (same id, source, outputs, metadata, run state), for moving it. */
function copyCell(c: CellDoc): CellDoc {
  const copy: CellDoc = {
    id: c.id,
    cellType: c.cellType,
    source: text(c.source),
    metadata: imm(text(c.metadata)),
    executionCount: c.executionCount,
    outputs: c.outputs.map((o) => imm(text(o))),
    attachments: c.attachments == null ? null : imm(text(c.attachments)),
    extra: c.extra == null ? null : imm(text(c.extra)),
    run: c.run,
  };
  const last = c.lastRun;
  if (last) copy.lastRun = { startedAt: last.startedAt, durationMs: last.durationMs, status: last.status == null ? null : imm(text(last.status)) };
  return copy;
}

/**
 * Moves a cell so that it ends up at `toIndex` (0..cells.length-1). Automerge lists have no
 * move, so this deletes the cell and inserts a copy: id, source, outputs, metadata and run
 * state are kept, but a concurrent edit another replica makes to the old copy's source is lost.
 */
export function moveCell(d: NotebookDoc, cellId: string, toIndex: number): void {
  const from = requireCellIndex(d, cellId);
  if (!Number.isInteger(toIndex) || toIndex < 0 || toIndex >= d.cells.length) {
    throw new RangeError(`cannot move a cell to index ${toIndex}: the notebook has ${d.cells.length} cells (0..${d.cells.length - 1} allowed)`);
  }
  if (from === toIndex) return;
  const copy = copyCell(d.cells[from]!);
  d.cells.splice(from, 1);
  d.cells.splice(toIndex, 0, copy);
}

/**
 * Changes a cell's type, keeping id, source and metadata. As nbformat requires, a cell that
 * stops being code loses its outputs and execution count, and a cell that becomes code loses
 * its attachments.
 */
export function setCellType(d: NotebookDoc, cellId: string, type: CellType): void {
  requireCellType(type);
  const cell = d.cells[requireCellIndex(d, cellId)]!;
  if (cell.cellType === type) return;
  if (cell.cellType === 'code') {
    if (cell.outputs.length) cell.outputs.splice(0, cell.outputs.length);
    if (cell.executionCount !== null) cell.executionCount = null;
    if (cell.lastRun) cell.lastRun = null;
  }
  if (type === 'code' && cell.attachments != null) cell.attachments = null;
  cell.cellType = type;
}

/**
 * Splits a cell at a UTF-16 offset of its source, as JupyterLab 4 does: leading and trailing
 * newlines are trimmed from both parts, both keep the type and metadata, the first keeps the
 * id (its source is edited in place, so concurrent typing before the split point merges), the
 * second gets `newId`. A code cell's outputs go with the second part (they were shown below
 * the code), and neither part keeps an execution count. Attachments stay with the first.
 */
export function splitCell(d: NotebookDoc, cellId: string, offset: number, newId: string): void {
  const index = requireCellIndex(d, cellId);
  const cell = d.cells[index]!;
  const source = text(cell.source);
  requireOffset('split offset', offset, source.length, source);
  requireNewCellId(d, newId);
  const head = source.slice(0, offset).replace(/\n+$/, '');
  const lead = head.length - head.replace(/^\n+/, '').length;
  const second = source.slice(offset).replace(/^\n+/, '').replace(/\n+$/, '');
  const isCode = cell.cellType === 'code';
  d.cells.splice(
    index + 1,
    0,
    makeCell({
      id: newId,
      cellType: cell.cellType,
      source: second,
      metadataJson: text(cell.metadata),
      executionCount: null,
      outputsJson: isCode ? cell.outputs.map((o) => text(o)) : [],
      attachmentsJson: null,
      extraJson: null,
    }),
  );
  const path = ['cells', index, 'source'];
  if (source.length > head.length) splice(d, path, head.length, source.length - head.length);
  if (lead > 0) splice(d, path, 0, lead);
  if (isCode) {
    if (cell.outputs.length) cell.outputs.splice(0, cell.outputs.length);
    if (cell.executionCount !== null) cell.executionCount = null;
    if (cell.lastRun) cell.lastRun = null;
  }
}

/**
 * Merges cells (at least two, any order, not necessarily adjacent) into the one that comes
 * first in the notebook: their sources, in notebook order, joined with `separator`; the
 * others are deleted. The merged cell keeps its id, type and metadata; as in JupyterLab a code
 * cell's outputs and execution count are cleared, and markdown/raw attachments are combined.
 * Returns the id of the merged cell.
 */
export function mergeCells(d: NotebookDoc, cellIds: readonly string[], separator = '\n'): string {
  if (!Array.isArray(cellIds) || cellIds.length < 2) throw new Error('merging needs the ids of at least two cells');
  if (new Set(cellIds).size !== cellIds.length) throw new Error('merging: a cell id is listed twice');
  const indexes = cellIds.map((id) => requireCellIndex(d, id)).sort((a, b) => a - b);
  const first = indexes[0]!;
  const primary = d.cells[first]!;
  const others = indexes.slice(1).map((i) => d.cells[i]!);
  const appended = others.map((c) => separator + text(c.source)).join('');
  if (appended) splice(d, ['cells', first, 'source'], text(primary.source).length, 0, appended);
  if (primary.cellType === 'code') {
    if (primary.outputs.length) primary.outputs.splice(0, primary.outputs.length);
    if (primary.executionCount !== null) primary.executionCount = null;
    if (primary.lastRun) primary.lastRun = null;
  } else {
    const combined: Record<string, unknown> = {};
    let added = false;
    for (const c of [primary, ...others]) {
      if (c.cellType === 'code' || c.attachments == null) continue;
      const value = parseJsonText(c.attachments, null);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        Object.assign(combined, value);
        if (c !== primary) added = true;
      }
    }
    if (added) primary.attachments = imm(JSON.stringify(combined));
  }
  for (const i of indexes.slice(1).reverse()) d.cells.splice(i, 1);
  return primary.id;
}

/** Clears outputs and execution count of one code cell, or of every code cell when `cellId` is omitted. */
export function clearOutputs(d: NotebookDoc, cellId?: string): void {
  const cells = cellId === undefined ? d.cells : [d.cells[requireCellIndex(d, cellId)]!];
  for (const cell of cells) {
    if (cell.cellType !== 'code') continue;
    if (cell.outputs.length) cell.outputs.splice(0, cell.outputs.length);
    if (cell.executionCount !== null) cell.executionCount = null;
  }
}

/**
 * Replaces source[from, to) with `insert` (UTF-16 offsets, as CodeMirror's changes use) as an
 * Automerge text splice, so concurrent typing in other windows merges character by character.
 */
export function spliceCellSource(d: NotebookDoc, cellId: string, from: number, to: number, insert: string): void {
  const index = requireCellIndex(d, cellId);
  const source = text(d.cells[index]!.source);
  requireOffset('from', from, source.length, source);
  requireOffset('to', to, source.length, source);
  if (to < from) throw new RangeError(`splice range ${from}..${to} is reversed`);
  if (typeof insert !== 'string') throw new TypeError('the inserted text must be a string');
  if (to > from || insert.length > 0) splice(d, ['cells', index, 'source'], from, to - from, insert);
}

/**
 * Applies non-overlapping edits, all relative to the current source, as text splices in one
 * change (an editor transaction may touch several places, e.g. multiple cursors).
 */
export function editCellSource(d: NotebookDoc, cellId: string, edits: readonly TextEdit[]): void {
  const ordered = [...edits].sort((a, b) => b.from - a.from);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.to > ordered[i - 1]!.from) throw new RangeError(`edits ${ordered[i]!.from}..${ordered[i]!.to} and ${ordered[i - 1]!.from}..${ordered[i - 1]!.to} overlap`);
  }
  // Back to front, so each splice's offsets are still those of the unedited source.
  for (const e of ordered) spliceCellSource(d, cellId, e.from, e.to, e.insert);
}

// ---- reload: the doc takes a file's content, keeping what is live ----------------------

/** A cell of a doc as the input `makeCell` takes. */
function cellToNew(c: CellDoc): NewCell {
  return {
    id: c.id,
    cellType: c.cellType,
    source: text(c.source),
    metadataJson: text(c.metadata),
    executionCount: c.executionCount,
    outputsJson: c.outputs.map((o) => text(o)),
    attachmentsJson: textOrNull(c.attachments),
    extraJson: textOrNull(c.extra),
  };
}

function updateCellInPlace(d: NotebookDoc, index: number, next: NewCell): void {
  const cell = d.cells[index]!;
  if (cell.cellType !== next.cellType) cell.cellType = next.cellType;
  if (text(cell.source) !== next.source) updateText(d, ['cells', index, 'source'], next.source);
  if (text(cell.metadata) !== next.metadataJson) cell.metadata = imm(next.metadataJson);
  if (cell.executionCount !== next.executionCount) cell.executionCount = next.executionCount;
  const outputs = cell.outputs.map((o) => text(o));
  if (outputs.length !== next.outputsJson.length || outputs.some((o, i) => o !== next.outputsJson[i])) {
    cell.outputs.splice(0, cell.outputs.length, ...next.outputsJson.map(imm));
  }
  if (textOrNull(cell.attachments) !== next.attachmentsJson) cell.attachments = next.attachmentsJson === null ? null : imm(next.attachmentsJson);
  if (textOrNull(cell.extra) !== next.extraJson) cell.extra = next.extraJson === null ? null : imm(next.extraJson);
}

/**
 * Makes `d` hold the notebook content of `source` (a doc freshly loaded from the file):
 * metadata, cells and saved widgets. Cells whose id is in both are updated in place (a text
 * diff of the source), so windows keep their editors; live kernel widgets stay, and a saved
 * widget whose id is live is not brought back over it. Kernel, file and run state are left alone.
 */
export function replaceNotebookContent(d: NotebookDoc, source: NotebookDoc): void {
  if (d.nbformat !== source.nbformat) d.nbformat = source.nbformat;
  if (d.nbformatMinor !== source.nbformatMinor) d.nbformatMinor = source.nbformatMinor;
  setNotebookMetadataJson(d, text(source.metadata));
  const extra = textOrNull(source.extra);
  if (textOrNull(d.extra) !== extra) d.extra = extra === null ? null : imm(extra);

  const wanted = source.cells.map(cellToNew);
  const ids = new Set(wanted.map((c) => c.id));
  for (let i = d.cells.length - 1; i >= 0; i--) if (!ids.has(d.cells[i]!.id)) d.cells.splice(i, 1);
  wanted.forEach((cell, i) => {
    if (d.cells[i]?.id === cell.id) {
      updateCellInPlace(d, i, cell);
      return;
    }
    // Out of order: the cell is further down (earlier positions are settled). Move a copy
    // up, so a cell that is running keeps its run state.
    const j = d.cells.findIndex((c) => c.id === cell.id);
    if (j < 0) {
      d.cells.splice(i, 0, makeCell(cell));
      return;
    }
    const copy = copyCell(d.cells[j]!);
    d.cells.splice(j, 1);
    d.cells.splice(i, 0, copy);
    updateCellInPlace(d, i, cell);
  });
  while (d.cells.length > wanted.length) d.cells.splice(d.cells.length - 1, 1);

  deleteCommsFrom(d, 'saved');
  const saved = Object.entries(source.comms ?? {}).sort(([, a], [, b]) => openedOf(a).seq - openedOf(b).seq);
  for (const [id, comm] of saved) {
    if (d.comms[id]) continue;
    const { seq: _seq, ...model } = modelOf(comm); // putComm gives it the next seq
    putComm(d, id, { ...model, origin: 'saved', stateJson: commStateJson(comm) });
  }
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

/** Whether a change at this diff path alters what `getCells`, `getKernel`, `isDirty`, `getFileState` or `getRecovery` read. */
/**
 * Which cell a patch path changes: its index for a change inside one cell, 'list' when cells
 * were inserted, removed or replaced, null for paths outside `cells`.
 */
export function cellIndexAtPath(path: readonly (string | number)[]): number | 'list' | null {
  if (path[0] !== 'cells') return null;
  return path.length >= 3 && typeof path[1] === 'number' ? path[1] : 'list';
}

export function pathChangesNotebookView(path: readonly (string | number)[]): boolean {
  return (
    path[0] === 'cells' || path[0] === 'kernel' || path[0] === 'dirty' || path[0] === 'file' || path[0] === 'recovery'
  );
}
