/**
 * The main ↔ renderer contract: one table of channels (request schema → response type)
 * and one table of events. Main validates every request against it; the preload (Electron)
 * and the web preload (browser host) expose exactly this as `window.quire`.
 *
 * Payloads are plain JSON (binary as base64) so the same table works over Electron IPC
 * and over the browser host's WebSocket.
 */
import { z } from 'zod';
import type { ExecuteResult } from '../protocol/messages';
import type { CellView, CommRecord, KernelView } from '../schema/notebook-doc';

const id = z.string().min(1).max(200);

/** One editor transaction on a cell's text: a CodeMirror ChangeSet in its JSON form. */
const cellTextUpdate = z.object({ clientID: z.string().min(1).max(100), changes: z.array(z.unknown()).max(100_000) });
export type CellTextUpdate = z.infer<typeof cellTextUpdate>;

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
  'cell:execute': z.object({ cellId: id }),
  /** Text updates of a cell after `version` (see src-main/core/cell-text-authority.ts). */
  'cell:pull': z.object({ cellId: id, version: z.number().int().min(0) }),
  /** An editor's updates made on top of `version`; refused (accepted: false) when behind. */
  'cell:push': z.object({ cellId: id, version: z.number().int().min(0), updates: z.array(cellTextUpdate).min(1).max(1000) }),
  'kernel:interrupt': z.object({}),
  'kernel:restart': z.object({}),
  'notebook:save': z.object({}),
} as const;
export type Channel = keyof typeof Channels;
export type ChannelRequest<C extends Channel> = z.input<(typeof Channels)[C]>;

export interface NotebookSnapshot {
  path: string;
  title: string;
  cells: CellView[];
  /** Each cell's text version: the editor of a cell starts from (source, version). */
  sourceVersions: Record<string, number>;
  kernel: KernelView;
  /** Changed since the last save (or load). */
  dirty: boolean;
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

export interface HostStatus {
  /** False while the main process is reconnecting to the daemon. */
  connected: boolean;
  message?: string;
}

export interface ChannelResponse {
  'notebook:get': NotebookSnapshot;
  'comms:get': CommRecord[];
  'widget:update': null;
  'custom:send': null;
  'blob:get': { base64: string };
  'cell:execute': ExecuteResult;
  'cell:pull': CellTextPull;
  'cell:push': { accepted: boolean; version: number };
  'kernel:interrupt': null;
  'kernel:restart': null;
  'notebook:save': { path: string; bytes: number };
}

export interface Events {
  'notebook:changed': NotebookSnapshot;
  'comms:changed': CommsChange;
  'cell:text': CellTextEvent;
  custom: CustomEvent;
  'host:status': HostStatus;
}
export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['notebook:changed', 'comms:changed', 'cell:text', 'custom', 'host:status'];

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
  executeCell(cellId: string): Promise<ExecuteResult>;
  pullCellText(cellId: string, version: number): Promise<CellTextPull>;
  pushCellText(cellId: string, version: number, updates: CellTextUpdate[]): Promise<{ accepted: boolean; version: number }>;
  onCellText(listener: (event: CellTextEvent) => void): Unsubscribe;
  interrupt(): Promise<void>;
  restart(): Promise<void>;
  save(): Promise<{ path: string; bytes: number }>;
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
    executeCell: (cellId) => t.invoke('cell:execute', { cellId }),
    pullCellText: (cellId, version) => t.invoke('cell:pull', { cellId, version }),
    pushCellText: (cellId, version, updates) => t.invoke('cell:push', { cellId, version, updates }),
    onCellText: (l) => t.on('cell:text', l),
    interrupt: () => nothing(t.invoke('kernel:interrupt', {})),
    restart: () => nothing(t.invoke('kernel:restart', {})),
    save: () => t.invoke('notebook:save', {}),
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
