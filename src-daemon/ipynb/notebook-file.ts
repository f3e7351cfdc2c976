/**
 * .ipynb files ↔ notebook docs. Reading validates with the shared codec and never
 * writes; saving writes nbformat 4.5 through a temp file and rename, so a failed save
 * never leaves a half-written notebook.
 */
import * as A from '@automerge/automerge';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import {
  dumps,
  newCellId,
  notebookFromJson,
  parseJson,
  readNotebook,
  writeNotebook,
  NotebookFormatError,
  PyNumber,
  type Json,
  type JsonObject,
  type Notebook,
  type Output,
} from '../../src-shared/ipynb/index';
import {
  readWidgetState,
  withWidgetState,
  WIDGET_STATE_MIME,
  type WidgetStateRecords,
} from '../../src-shared/ipynb/widget-state';
import {
  batchCommSeqs,
  blobRef,
  getCommIds,
  getCommModel,
  getCommOrigin,
  getCommStateJson,
  hasComm,
  initNotebookDoc,
  isBlobRef,
  putComm,
  text,
  type NewCell,
  type NotebookDoc,
} from '../../src-shared/schema/notebook-doc';
import type { BlobStore } from '../blobs/blob-store';
import { WIDGET_TARGET } from '../rooms/comm-bridge';

export class NotebookFileError extends Error {
  constructor(
    readonly code: 'notebook-invalid' | 'not-found' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

const compact = (v: Json) => dumps(v, { compact: true });

/** An nbformat output as the JSON object nbformat's reader gives (multi-line text joined). */
function outputToJson(o: Output): JsonObject {
  const { extra, ...fields } = o as Output & { extra?: JsonObject };
  return { ...extra, ...(fields as unknown as JsonObject) };
}

export interface LoadedNotebook {
  doc: A.Doc<NotebookDoc>;
  exists: boolean;
  /** sha256 of the bytes the doc was read from ('absent' for a notebook not on disk yet). */
  hash: string;
  /** Problems with saved widget state (the affected widgets are skipped, the rest load). */
  warnings: string[];
}

/** A notebook that does not exist yet opens empty; it is written on first save. */
export async function loadNotebookFile(path: string, blobs?: BlobStore): Promise<LoadedNotebook> {
  if (!existsSync(path)) {
    const doc = A.change(A.init<NotebookDoc>(), (d) =>
      initNotebookDoc(d, { nbformat: 4, nbformatMinor: 5, metadataJson: '{}', extraJson: null, cells: [] }),
    );
    return { doc, exists: false, hash: 'absent', warnings: [] };
  }
  if ((await stat(path)).isDirectory()) throw new NotebookFileError('notebook-invalid', `${path} is a directory, not a notebook`);
  const bytes = await readFile(path);
  let nb: Notebook;
  try {
    nb = readNotebook(bytes.toString('utf8'));
  } catch (err) {
    if (err instanceof NotebookFormatError) throw new NotebookFileError('notebook-invalid', `${path}: ${err.message}`);
    throw err;
  }
  return { ...notebookToDoc(nb, blobs), exists: true, hash: createHash('sha256').update(bytes).digest('hex') };
}

export function notebookToDoc(nb: Notebook, blobs?: BlobStore): { doc: A.Doc<NotebookDoc>; warnings: string[] } {
  const { records, problems } = readWidgetState(nb);
  const metadata: JsonObject = { ...nb.metadata };
  const widgets = metadata.widgets;
  if (isObject(widgets) && isObject(widgets[WIDGET_STATE_MIME])) {
    const saved = widgets[WIDGET_STATE_MIME] as JsonObject;
    const rest: JsonObject = { ...widgets };
    delete rest[WIDGET_STATE_MIME];
    const rawState = saved.state;
    if (Object.keys(records).length > 0 || problems.length === 0) {
      // Readable widgets move into `comms`. Entries that could not be read stay in the
      // metadata verbatim, so saving writes them back instead of losing them.
      const unreadable: JsonObject = {};
      if (isObject(rawState)) {
        for (const [id, entry] of Object.entries(rawState)) if (!(id in records)) unreadable[id] = entry;
      }
      if (Object.keys(unreadable).length) rest[WIDGET_STATE_MIME] = { ...saved, state: unreadable };
    } else {
      // Nothing readable at all (wrong version, wrong shape): keep the whole entry as it was.
      rest[WIDGET_STATE_MIME] = saved;
    }
    if (Object.keys(rest).length) metadata.widgets = rest;
    else delete metadata.widgets;
  }
  const taken = new Set<string>();
  const cells: NewCell[] = nb.cells.map((cell) => {
    let id = cell.id;
    if (!id || taken.has(id)) id = newCellId(taken);
    taken.add(id);
    return {
      id,
      cellType: cell.cell_type,
      source: cell.source,
      metadataJson: compact(cell.metadata),
      executionCount: cell.cell_type === 'code' ? cell.execution_count : null,
      outputsJson: cell.cell_type === 'code' ? cell.outputs.map((o) => compact(outputToJson(o))) : [],
      attachmentsJson: cell.cell_type !== 'code' && cell.attachments !== undefined ? compact(cell.attachments as Json) : null,
      extraJson: cell.extra && Object.keys(cell.extra).length ? compact(cell.extra) : null,
    };
  });
  let doc = A.change(A.init<NotebookDoc>(), (d) =>
    initNotebookDoc(d, {
      nbformat: 4,
      nbformatMinor: nb.nbformat_minor,
      metadataJson: compact(metadata),
      extraJson: nb.extra && Object.keys(nb.extra).length ? compact(nb.extra) : null,
      cells,
    }),
  );
  if (Object.keys(records).length) {
    doc = A.change(doc, (d) => putSavedWidgets(d, records, blobs));
  }
  return { doc, warnings: problems };
}

/** Saved widgets enter `comms` children-first, so `seq` order is creation-safe. */
function putSavedWidgets(d: NotebookDoc, records: WidgetStateRecords, blobs?: BlobStore): void {
  batchCommSeqs(d, () => {
    for (const id of referenceOrder(records)) putSavedWidget(d, id, records[id]!, blobs);
  });
}

function putSavedWidget(d: NotebookDoc, id: string, record: WidgetStateRecords[string], blobs?: BlobStore): void {
  const state: JsonObject = { ...record.state };
  for (const buffer of record.buffers ?? []) {
    if (!blobs) break;
    const bytes =
      buffer.encoding === 'hex' ? new Uint8Array(Buffer.from(buffer.data, 'hex')) : new Uint8Array(Buffer.from(buffer.data, 'base64'));
    setAtPath(state, buffer.path, blobRef(blobs.put(bytes)) as unknown as Json);
  }
  const stateJson: Record<string, string> = {};
  for (const [key, value] of Object.entries(state)) stateJson[key] = compact(value);
  putComm(d, id, {
    targetName: WIDGET_TARGET,
    modelModule: record.model_module,
    modelModuleVersion: record.model_module_version,
    modelName: record.model_name,
    origin: 'saved',
    stateJson,
  });
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyNumber);
}

function setAtPath(root: JsonObject, path: (string | number)[], value: Json): void {
  let node: Json = root;
  for (const step of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string | number, Json>)[step] ?? null;
  }
  if (node !== null && typeof node === 'object') (node as Record<string | number, Json>)[path[path.length - 1]!] = value;
}

/** Model ids ordered so every `IPY_MODEL_<id>` reference comes before the model using it. */
export function referenceOrder(records: WidgetStateRecords): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const refsOf = (value: unknown, out: Set<string>) => {
    if (typeof value === 'string') {
      if (value.startsWith('IPY_MODEL_')) out.add(value.slice('IPY_MODEL_'.length));
    } else if (Array.isArray(value)) value.forEach((v) => refsOf(v, out));
    else if (value && typeof value === 'object') Object.values(value).forEach((v) => refsOf(v, out));
  };
  const visit = (id: string) => {
    if (state.get(id)) return; // done, or a cycle: place it where we are
    state.set(id, 'visiting');
    const refs = new Set<string>();
    refsOf(records[id]?.state, refs);
    for (const ref of [...refs].sort()) if (records[ref]) visit(ref);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(records).sort()) visit(id);
  return order;
}

// ---- save ------------------------------------------------------------------------------

const parse = (s: Parameters<typeof text>[0]): Json => (s == null ? null : parseJson(text(s)));

/** The notebook a doc represents, validated by the same reader that opens files. */
export function docToNotebook(doc: NotebookDoc, blobs?: BlobStore): Notebook {
  const cells: Json[] = doc.cells.map((cell) => {
    const out: JsonObject = { ...((parse(cell.extra) as JsonObject | null) ?? {}) };
    out.id = cell.id;
    out.cell_type = cell.cellType;
    out.metadata = parse(cell.metadata) ?? {};
    out.source = text(cell.source);
    if (cell.cellType === 'code') {
      out.execution_count = cell.executionCount;
      out.outputs = cell.outputs.map((o) => parse(o));
    } else if (cell.attachments) {
      out.attachments = parse(cell.attachments);
    }
    return out;
  });
  const json: JsonObject = {
    ...((parse(doc.extra) as JsonObject | null) ?? {}),
    nbformat: 4,
    // Every cell has an id in the doc, and ids need nbformat 4.5.
    nbformat_minor: Math.max(doc.nbformatMinor, 5),
    metadata: parse(doc.metadata) ?? {},
    cells,
  };
  const nb = notebookFromJson(json);
  // Entries kept verbatim because they could not be read on open (see notebookToDoc).
  const kept = (nb.metadata.widgets as JsonObject | undefined)?.[WIDGET_STATE_MIME];
  const out = withWidgetState(nb, widgetRecords(doc, blobs));
  if (isObject(kept) && isObject(kept.state) && Object.keys(kept.state).length) {
    const widgets = { ...((out.metadata.widgets as JsonObject | undefined) ?? {}) };
    const current = widgets[WIDGET_STATE_MIME];
    widgets[WIDGET_STATE_MIME] = isObject(current)
      ? { ...current, state: { ...kept.state, ...(current.state as JsonObject) } }
      : kept;
    out.metadata = { ...out.metadata, widgets };
  }
  return out;
}

/**
 * Which widgets a save keeps: every live kernel widget (as JupyterLab saves its whole
 * manager). Widgets loaded from the file all stay until the kernel has made widgets of
 * its own (so an untouched notebook saves unchanged); from then on only those an output
 * or a live widget still refers to, so re-running a notebook does not pile up stale state.
 */
function savedWidgetIds(doc: NotebookDoc): Set<string> {
  const ids = getCommIds(doc);
  const live = ids.filter((id) => getCommOrigin(doc, id) === 'kernel');
  if (live.length === 0) return new Set(ids);
  const keep = new Set<string>();
  const queue: string[] = [];
  const visit = (id: string) => {
    if (!keep.has(id) && hasComm(doc, id)) {
      keep.add(id);
      queue.push(id);
    }
  };
  const scan = (value: unknown) => {
    if (typeof value === 'string') {
      if (value.startsWith('IPY_MODEL_')) visit(value.slice('IPY_MODEL_'.length));
    } else if (Array.isArray(value)) value.forEach(scan);
    else if (value && typeof value === 'object') {
      const modelId = (value as { model_id?: unknown }).model_id;
      if (typeof modelId === 'string') visit(modelId);
      Object.values(value).forEach(scan);
    }
  };
  live.forEach(visit);
  for (const cell of doc.cells) for (const o of cell.outputs) scan(JSON.parse(text(o)));
  while (queue.length) {
    for (const json of Object.values(getCommStateJson(doc, queue.pop()!) ?? {})) scan(JSON.parse(json));
  }
  return keep;
}

function widgetRecords(doc: NotebookDoc, blobs?: BlobStore): WidgetStateRecords {
  const records: WidgetStateRecords = {};
  const keep = savedWidgetIds(doc);
  for (const id of getCommIds(doc)) {
    const comm = getCommModel(doc, id);
    if (!comm || comm.targetName !== WIDGET_TARGET || !keep.has(id)) continue;
    const state: JsonObject = {};
    const buffers: { path: (string | number)[]; encoding: 'base64'; data: string }[] = [];
    for (const [key, json] of Object.entries(getCommStateJson(doc, id) ?? {})) {
      const value = extractBuffers(parse(json), [key], buffers, blobs);
      if (value !== undefined) state[key] = value;
    }
    records[id] = {
      model_name: comm.modelName,
      model_module: comm.modelModule,
      model_module_version: comm.modelModuleVersion,
      state,
      ...(buffers.length ? { buffers } : {}),
    };
  }
  return records;
}

/**
 * Blob references become base64 buffers, as the widget-state schema stores them. Like
 * ipywidgets' remove_buffers, a buffer under an object key removes the key (undefined
 * here) and one in a list leaves null, so untouched saved state round-trips exactly.
 */
function extractBuffers(
  value: Json,
  path: (string | number)[],
  buffers: { path: (string | number)[]; encoding: 'base64'; data: string }[],
  blobs?: BlobStore,
): Json | undefined {
  if (isBlobRef(value)) {
    const bytes = blobs?.get(value.$quireBlob);
    if (bytes) buffers.push({ path, encoding: 'base64', data: Buffer.from(bytes).toString('base64') });
    return undefined;
  }
  if (Array.isArray(value)) return value.map((v, i) => extractBuffers(v, [...path, i], buffers, blobs) ?? null);
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const x = extractBuffers(v, [...path, k], buffers, blobs);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  return value;
}

/** Writes the doc as nbformat 4.5; returns the number of bytes written. */
export async function saveNotebookFile(doc: NotebookDoc, path: string, blobs?: BlobStore): Promise<number> {
  return (await writeNotebookFile(doc, path, blobs)).bytes;
}

/** Writes the doc as nbformat 4.5; returns the size and sha256 of what was written. */
export async function writeNotebookFile(doc: NotebookDoc, path: string, blobs?: BlobStore): Promise<{ bytes: number; hash: string }> {
  let textOut: string;
  try {
    textOut = writeNotebook(docToNotebook(doc, blobs));
  } catch (err) {
    throw new NotebookFileError('internal', `could not serialise ${path}; the file was not changed: ${(err as Error).message}`);
  }
  const data = Buffer.from(textOut, 'utf8');
  // The rename replaces the file, so give the new one the old one's permissions (the
  // daemon's umask 077 would otherwise turn a shared 0644 notebook into 0600).
  const mode = await stat(path).then(
    (s) => s.mode & 0o7777,
    () => undefined,
  );
  const tmp = `${path}.quire-${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    // chmod, not writeFile's mode option: the umask does not apply to chmod.
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  return { bytes: data.length, hash: createHash('sha256').update(data).digest('hex') };
}

/**
 * Notebook metadata JSON with `patch` merged in at the top level and the `remove` keys gone
 * (used for kernelspec/language_info).
 */
export function withNotebookMetadata(doc: NotebookDoc, patch: Record<string, unknown>, remove: readonly string[] = []): string {
  const meta: JsonObject = { ...((parse(doc.metadata) as JsonObject | null) ?? {}), ...(patch as JsonObject) };
  for (const key of remove) delete meta[key];
  return compact(meta);
}
