/**
 * The main ↔ renderer contract: one table of channels (request schema → response type)
 * and one table of events. Main validates every request against it; the preload (Electron)
 * and the web preload (browser host) expose exactly this as `window.quire`.
 *
 * Payloads are plain JSON (binary as base64) so the same table works over Electron IPC
 * and over the browser host's WebSocket.
 */
import { z } from 'zod';
import type { ExecuteResult, KernelSpecSummary } from '../protocol/messages';
import type { CellType, CellView, CommRecord, FileView, KernelView, RecoveryView } from '../schema/notebook-doc';

const id = z.string().min(1).max(200);
const cellIds = z.array(id).min(1).max(100_000);
const cellType = z.enum(['code', 'markdown', 'raw']);

/** One editor transaction on a cell's text: a CodeMirror ChangeSet in its JSON form. */
const cellTextUpdate = z.object({ clientID: z.string().min(1).max(100), changes: z.array(z.unknown()).max(100_000) });
export type CellTextUpdate = z.infer<typeof cellTextUpdate>;

/** Largest buffer a window may upload (FileUpload contents): 32 MiB, as base64. */
export const MAX_BLOB_PUT_BYTES = 32 * 1024 * 1024;

export const Channels = {
  'notebook:get': z.object({}),
  'comms:get': z.object({}),
  'widget:update': z.object({ id, patch: z.record(z.string(), z.unknown()) }),
  'custom:send': z.object({
    id,
    content: z.record(z.string(), z.unknown()),
    buffers: z.array(z.string()).max(64).optional(),
  }),
  'blob:get': z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** Bytes a widget sends to the kernel (FileUpload): stored in the daemon's blob store. */
  'blob:put': z.object({ base64: z.string().max(Math.ceil(MAX_BLOB_PUT_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/) }),
  /** Is this window the one that runs front-end-driven widgets (Play) of its notebook? */
  'widgets:driver': z.object({}),
  /**
   * The third-party widget libraries (JupyterLab federated extensions) installed for this
   * window's kernel, with the URL of each one's remoteEntry script (see src-main/core/labextensions.ts).
   */
  'widgets:extensions': z.object({}),
  'cell:execute': z.object({ cellId: id }),
  /** Text updates of a cell after `version` (see src-main/core/cell-text-authority.ts). */
  'cell:pull': z.object({ cellId: id, version: z.number().int().min(0) }),
  /** An editor's updates made on top of `version`; refused (accepted: false) when behind. */
  'cell:push': z.object({ cellId: id, version: z.number().int().min(0), updates: z.array(cellTextUpdate).min(1).max(1000) }),
  'cells:execute': z.object({ cellIds }),
  'cell:insert': z.object({ index: z.number().int().min(0), cellType, source: z.string().max(10_000_000).optional() }),
  'cells:delete': z.object({ cellIds }),
  'cell:move': z.object({ cellId: id, toIndex: z.number().int().min(0) }),
  'cells:set-type': z.object({ cellIds, cellType }),
  /** Splits at `offset` of the cell's current text (the editor flushes its edits first). */
  'cell:split': z.object({ cellId: id, offset: z.number().int().min(0) }),
  'cells:merge': z.object({ cellIds: cellIds.min(2) }),
  /** Clears the given cells' outputs, or every cell's. */
  'cells:clear-outputs': z.object({ cellIds: cellIds.optional() }),
  'kernel:interrupt': z.object({}),
  'kernel:restart': z.object({}),
  'kernel:specs': z.object({}),
  'kernel:set': z.object({ name: z.string().min(1).max(200) }),
  /** The answer to the `input:request` this window got (Python's `input()`). */
  'input:reply': z.object({ value: z.string().max(1_000_000) }),
  /** With `overwrite`, saves over a file that changed on disk since it was loaded. */
  'notebook:save': z.object({ overwrite: z.boolean().optional() }),
  /** Replaces the notebook's cells with the file on disk. */
  'notebook:reload': z.object({}),
  /** Keeps (or discards, reloading the file) the unsaved edits restored after a crash. */
  'recovery:resolve': z.object({ keep: z.boolean() }),
} as const;
export type Channel = keyof typeof Channels;
export type ChannelRequest<C extends Channel> = z.input<(typeof Channels)[C]>;

export interface NotebookSnapshot {
  path: string;
  title: string;
  /** Every cell — or, in a partial update, only the cells that changed. */
  cells: CellView[];
  /**
   * Present on partial `notebook:changed` events: `cells` holds only changed cells and
   * `order` is every cell id in order (unchanged: cells added or removed send everything).
   */
  partial?: { order: string[] };
  /** Each cell's text version (of the cells in `cells`): an editor starts from (source, version). */
  sourceVersions: Record<string, number>;
  kernel: KernelView;
  /** The kernelspec the notebook's metadata names (what runs when no kernel is up yet). */
  kernelspec: { name: string; displayName: string } | null;
  /** Changed since the last save (or load). */
  dirty: boolean;
  /** Saving, saved, failed, changed on disk — as the daemon sees the file. */
  file: FileView;
  /** Unsaved edits restored after a crash, awaiting keep-or-discard. */
  recovery: RecoveryView | null;
}

export interface CommsChange {
  /** Created or changed comms (whole records), in `seq` order. */
  upserted: CommRecord[];
  removed: string[];
}

export interface CustomEvent {
  id: string;
  content: Record<string, unknown>;
  /** base64 */
  buffers: string[];
}

/** Updates of one cell's text starting at `version`, or its whole text (`reset`). */
export type CellTextPull = { version: number; updates: CellTextUpdate[] } | { reset: { version: number; text: string } };

export interface CellTextEvent {
  cellId: string;
  /** The version the first update applies to. */
  version: number;
  updates: CellTextUpdate[];
}

/** The kernel asks for a line of input (`input()`, `getpass`) for a cell this window ran. */
export interface InputRequest {
  prompt: string;
  password: boolean;
  /** The cell that asked (null for code run outside a cell). */
  cellId: string | null;
}

export interface HostStatus {
  /** False while the main process is reconnecting to the daemon. */
  connected: boolean;
  message?: string;
}

/**
 * Front-end-driven widgets (Play's timer) must advance once per notebook, not once per
 * window: main names one window of each notebook the driver (the oldest one open), and
 * tells windows when that changes (the driver closed).
 */
export interface WidgetDriver {
  driver: boolean;
}

/** A widget library the window may load: `url` is its module-federation entry script. */
export interface WidgetExtensionInfo {
  name: string;
  version: string;
  url: string;
  /** Shared packages it does not bundle (`bundled: false`): the window must provide each. */
  needs: string[];
  /** Container modules to get: the plugin(s) (`./extension`) and, if any, its styles (`./style`). */
  extension: string;
  style?: string;
}

export interface ChannelResponse {
  'notebook:get': NotebookSnapshot;
  'comms:get': CommRecord[];
  'widget:update': null;
  'custom:send': null;
  'blob:get': { base64: string };
  'blob:put': { hash: string };
  'widgets:driver': WidgetDriver;
  'widgets:extensions': { extensions: WidgetExtensionInfo[] };
  'cell:execute': ExecuteResult;
  'cell:pull': CellTextPull;
  'cell:push': { accepted: boolean; version: number };
  'cells:execute': ExecuteResult[];
  'cell:insert': { cellId: string };
  'cells:delete': null;
  'cell:move': null;
  'cells:set-type': null;
  'cell:split': { cellId: string };
  'cells:merge': null;
  'cells:clear-outputs': null;
  'kernel:interrupt': null;
  'kernel:restart': null;
  'kernel:specs': KernelSpecSummary[];
  'kernel:set': null;
  'input:reply': null;
  'notebook:save': { path: string; bytes: number };
  'notebook:reload': null;
  'recovery:resolve': null;
}

export interface Events {
  'notebook:changed': NotebookSnapshot;
  'comms:changed': CommsChange;
  'cell:text': CellTextEvent;
  'input:request': InputRequest;
  custom: CustomEvent;
  'host:status': HostStatus;
  'widgets:driver': WidgetDriver;
}
export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['notebook:changed', 'comms:changed', 'cell:text', 'input:request', 'custom', 'host:status', 'widgets:driver'];

export type Unsubscribe = () => void;

/** `window.quire`: what renderer code sees, whichever host it runs in. */
export interface QuireApi {
  getNotebook(): Promise<NotebookSnapshot>;
  onNotebookChanged(listener: (snapshot: NotebookSnapshot) => void): Unsubscribe;
  /** Comms sorted by `seq`. */
  getComms(): Promise<CommRecord[]>;
  onCommsChanged(listener: (change: CommsChange) => void): Unsubscribe;
  updateWidget(id: string, patch: Record<string, unknown>): Promise<void>;
  sendCustom(id: string, content: Record<string, unknown>, buffers?: string[]): Promise<void>;
  onCustom(listener: (message: CustomEvent) => void): Unsubscribe;
  getBlob(hash: string): Promise<string>;
  /** Stores bytes (base64) in the daemon's blob store; resolves with their sha256 hash. */
  putBlob(base64: string): Promise<string>;
  isWidgetDriver(): Promise<boolean>;
  onWidgetDriver(listener: (state: WidgetDriver) => void): Unsubscribe;
  /** Widget libraries installed in the kernel's environment (JupyterLab federated extensions). */
  widgetExtensions(): Promise<WidgetExtensionInfo[]>;
  executeCell(cellId: string): Promise<ExecuteResult>;
  pullCellText(cellId: string, version: number): Promise<CellTextPull>;
  pushCellText(cellId: string, version: number, updates: CellTextUpdate[]): Promise<{ accepted: boolean; version: number }>;
  onCellText(listener: (event: CellTextEvent) => void): Unsubscribe;
  /** Runs cells in order (stops after an error, as the kernel aborts the rest). */
  executeCells(cellIds: string[]): Promise<ExecuteResult[]>;
  insertCell(index: number, cellType: CellType, source?: string): Promise<string>;
  deleteCells(cellIds: string[]): Promise<void>;
  moveCell(cellId: string, toIndex: number): Promise<void>;
  setCellType(cellIds: string[], cellType: CellType): Promise<void>;
  splitCell(cellId: string, offset: number): Promise<string>;
  mergeCells(cellIds: string[]): Promise<void>;
  clearOutputs(cellIds?: string[]): Promise<void>;
  interrupt(): Promise<void>;
  restart(): Promise<void>;
  kernelSpecs(): Promise<KernelSpecSummary[]>;
  setKernel(name: string): Promise<void>;
  onInputRequest(listener: (request: InputRequest) => void): Unsubscribe;
  replyInput(value: string): Promise<void>;
  save(options?: { overwrite?: boolean }): Promise<{ path: string; bytes: number }>;
  reload(): Promise<void>;
  resolveRecovery(keep: boolean): Promise<void>;
  onHostStatus(listener: (status: HostStatus) => void): Unsubscribe;
}

/** How a preload reaches main: Electron's ipcRenderer or the browser host's WebSocket. */
export interface IpcTransport {
  invoke<C extends Channel>(channel: C, request: ChannelRequest<C>): Promise<ChannelResponse[C]>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe;
}

/** The one implementation of `QuireApi`, over either transport. */
export function createQuireApi(t: IpcTransport): QuireApi {
  const nothing = async (p: Promise<unknown>) => {
    await p;
  };
  return {
    getNotebook: () => t.invoke('notebook:get', {}),
    onNotebookChanged: (l) => t.on('notebook:changed', l),
    getComms: () => t.invoke('comms:get', {}),
    onCommsChanged: (l) => t.on('comms:changed', l),
    updateWidget: (id, patch) => nothing(t.invoke('widget:update', { id, patch })),
    sendCustom: (id, content, buffers) => nothing(t.invoke('custom:send', { id, content, ...(buffers ? { buffers } : {}) })),
    onCustom: (l) => t.on('custom', l),
    getBlob: async (hash) => (await t.invoke('blob:get', { hash })).base64,
    putBlob: async (base64) => (await t.invoke('blob:put', { base64 })).hash,
    isWidgetDriver: async () => (await t.invoke('widgets:driver', {})).driver,
    onWidgetDriver: (l) => t.on('widgets:driver', l),
    widgetExtensions: async () => (await t.invoke('widgets:extensions', {})).extensions,
    executeCell: (cellId) => t.invoke('cell:execute', { cellId }),
    pullCellText: (cellId, version) => t.invoke('cell:pull', { cellId, version }),
    pushCellText: (cellId, version, updates) => t.invoke('cell:push', { cellId, version, updates }),
    onCellText: (l) => t.on('cell:text', l),
    executeCells: (cellIds) => t.invoke('cells:execute', { cellIds }),
    insertCell: async (index, cellType, source) => (await t.invoke('cell:insert', { index, cellType, ...(source !== undefined ? { source } : {}) })).cellId,
    deleteCells: (cellIds) => nothing(t.invoke('cells:delete', { cellIds })),
    moveCell: (cellId, toIndex) => nothing(t.invoke('cell:move', { cellId, toIndex })),
    setCellType: (cellIds, cellType) => nothing(t.invoke('cells:set-type', { cellIds, cellType })),
    splitCell: async (cellId, offset) => (await t.invoke('cell:split', { cellId, offset })).cellId,
    mergeCells: (cellIds) => nothing(t.invoke('cells:merge', { cellIds })),
    clearOutputs: (cellIds) => nothing(t.invoke('cells:clear-outputs', cellIds ? { cellIds } : {})),
    interrupt: () => nothing(t.invoke('kernel:interrupt', {})),
    restart: () => nothing(t.invoke('kernel:restart', {})),
    kernelSpecs: () => t.invoke('kernel:specs', {}),
    setKernel: (name) => nothing(t.invoke('kernel:set', { name })),
    onInputRequest: (l) => t.on('input:request', l),
    replyInput: (value) => nothing(t.invoke('input:reply', { value })),
    save: (options) => t.invoke('notebook:save', options?.overwrite ? { overwrite: true } : {}),
    reload: () => nothing(t.invoke('notebook:reload', {})),
    resolveRecovery: (keep) => nothing(t.invoke('recovery:resolve', { keep })),
    onHostStatus: (l) => t.on('host:status', l),
  };
}

/** Validates a request for `channel`; returns an error message instead of throwing. */
export function parseRequest(channel: string, payload: unknown): { ok: true; channel: Channel; request: unknown } | { ok: false; error: string } {
  if (!Object.hasOwn(Channels, channel)) return { ok: false, error: `unknown IPC channel "${channel}"` };
  const parsed = Channels[channel as Channel].safeParse(payload ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `${channel}: ${issue?.path.join('.') || 'payload'}: ${issue?.message}` };
  }
  return { ok: true, channel: channel as Channel, request: parsed.data };
}
