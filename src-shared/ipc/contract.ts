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
  'cell:execute': z.object({ cellId: id }),
  'cell:set-source': z.object({ cellId: id, source: z.string().max(10_000_000) }),
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

export interface ChannelResponse {
  'notebook:get': NotebookSnapshot;
  'comms:get': CommRecord[];
  'widget:update': null;
  'custom:send': null;
  'blob:get': { base64: string };
  'blob:put': { hash: string };
  'widgets:driver': WidgetDriver;
  'cell:execute': ExecuteResult;
  'cell:set-source': null;
  'kernel:interrupt': null;
  'kernel:restart': null;
  'notebook:save': { path: string; bytes: number };
}

export interface Events {
  'notebook:changed': NotebookSnapshot;
  'comms:changed': CommsChange;
  custom: CustomEvent;
  'host:status': HostStatus;
  'widgets:driver': WidgetDriver;
}
export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['notebook:changed', 'comms:changed', 'custom', 'host:status', 'widgets:driver'];

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
  executeCell(cellId: string): Promise<ExecuteResult>;
  setCellSource(cellId: string, source: string): Promise<void>;
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
    putBlob: async (base64) => (await t.invoke('blob:put', { base64 })).hash,
    isWidgetDriver: async () => (await t.invoke('widgets:driver', {})).driver,
    onWidgetDriver: (l) => t.on('widgets:driver', l),
    executeCell: (cellId) => t.invoke('cell:execute', { cellId }),
    setCellSource: (cellId, source) => nothing(t.invoke('cell:set-source', { cellId, source })),
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
