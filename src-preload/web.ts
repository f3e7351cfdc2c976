/**
 * The browser host's preload: one classic script the host injects into index.html before the
 * app's module script. It defines `window.quire = createQuireApi(webSocketTransport)` — the same
 * API the Electron preload exposes, so renderer code cannot tell the hosts apart.
 *
 * The page lives at /t/<token>/, so the WebSocket endpoint /t/<token>/ws is simply `ws` resolved
 * against the page's location: the token comes from the location, never from the code.
 *
 * Invokes made before the socket is open are queued. When the socket drops, listeners hear
 * `host:status {connected:false}`, requests in flight fail with a clear error, and the transport
 * reconnects with backoff; once back it resyncs (a `notebook:changed` and a `comms:changed` with
 * everything, removals included) and then says `host:status {connected:true}` — the same sequence
 * the main process sends when it reconnects to the daemon.
 *
 * Built by the `quire-web-preload` step in electron.vite.config.ts (IIFE → out/preload/web.js).
 * Renderer code must never import this file.
 */
import {
  createQuireApi,
  EVENT_NAMES,
  type Channel,
  type ChannelRequest,
  type ChannelResponse,
  type CommsChange,
  type EventName,
  type Events,
  type HostStatus,
  type IpcTransport,
  type NotebookSnapshot,
  type QuireApi,
  type Unsubscribe,
} from '../src-shared/ipc/contract';
import type { CommRecord } from '../src-shared/schema/notebook-doc';
import { decodeHostMessage, encodeInvoke } from '../src-shared/ipc/websocket-wire';
import { startHopTrace, traceHop } from '../src-shared/hop-trace';

/** The few browser APIs used here (this file type-checks in the Node zone, without DOM types). */
interface SocketLike {
  readonly readyState: number;
  onopen: (() => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: (() => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
interface PageGlobals {
  location: { href: string };
  WebSocket: new (url: string) => SocketLike;
  console: { error(...args: unknown[]): void; warn(...args: unknown[]): void };
  quire?: QuireApi;
}

const OPEN = 1;

interface Pending {
  channel: Channel;
  frame: string;
  sent: boolean;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

class WebSocketTransport implements IpcTransport {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  private status: HostStatus = { connected: true };
  /** Comm ids the page has been told about, so a resync can say which ones went away. */
  private readonly knownComms = new Set<string>();
  private everOpened = false;
  private failures = 0;

  constructor(
    private readonly url: string,
    private readonly g: PageGlobals,
  ) {
    for (const name of EVENT_NAMES) this.listeners.set(name, new Set());
    this.connect();
  }

  invoke<C extends Channel>(channel: C, request: ChannelRequest<C>): Promise<ChannelResponse[C]> {
    const id = this.nextId++;
    return new Promise<ChannelResponse[C]>((resolve, reject) => {
      const p: Pending = { channel, frame: encodeInvoke(id, channel, request), sent: false, resolve: resolve as (v: unknown) => void, reject };
      this.pending.set(id, p);
      if (this.socket?.readyState === OPEN) this.sendPending(p);
    }).then((result) => {
      if (channel === 'comms:get') this.rememberAll(result as CommRecord[]);
      return result;
    });
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe {
    const set = this.listeners.get(event);
    if (!set) throw new Error(`unknown Quire event "${String(event)}"`);
    const l = listener as (payload: unknown) => void;
    set.add(l);
    // A window that subscribes while the host is away still learns it.
    if (event === 'host:status' && !this.status.connected) {
      const status = this.status;
      queueMicrotask(() => set.has(l) && l(status));
    }
    return () => {
      set.delete(l);
    };
  }

  // ---- connection ----------------------------------------------------------------------

  private connect(): void {
    let socket: SocketLike;
    try {
      socket = new this.g.WebSocket(this.url);
    } catch (err) {
      this.g.console.error('Quire: cannot open the host connection', err);
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.onOpen();
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onerror = () => {};
    socket.onclose = (event) => this.onClose(event.code, event.reason);
  }

  private onOpen(): void {
    this.failures = 0;
    const reconnected = this.everOpened;
    this.everOpened = true;
    if (reconnected) void this.resync();
    for (const p of this.pending.values()) if (!p.sent) this.sendPending(p);
  }

  private sendPending(p: Pending): void {
    p.sent = true;
    this.socket!.send(p.frame);
  }

  private onClose(code: number, reason: string): void {
    this.socket = null;
    for (const [id, p] of this.pending) {
      if (!p.sent) continue;
      this.pending.delete(id);
      p.reject(new Error(`${p.channel}: the connection to Quire was lost before it answered; try again`));
    }
    this.failures++;
    const restarted =
      this.failures >= 5 ? ' If `quire serve` was restarted, open the new URL it printed.' : '';
    const why = reason ? `: ${reason}` : code === 1006 ? '' : ` (code ${code})`;
    this.setStatus({ connected: false, message: `Lost the connection to the Quire host${why}. Reconnecting…${restarted}` });
    this.retry();
  }

  private retry(): void {
    const delay = Math.min(250 * 2 ** Math.min(this.failures, 5), 5000);
    setTimeout(() => this.connect(), delay);
  }

  private async resync(): Promise<void> {
    try {
      const [snapshot, comms] = await Promise.all([this.invoke('notebook:get', {}), this.fetchCommsForResync()]);
      this.emit('notebook:changed', snapshot as NotebookSnapshot);
      this.emit('comms:changed', comms);
      this.setStatus({ connected: true });
    } catch (err) {
      this.g.console.warn('Quire: resync after reconnecting failed', err);
    }
  }

  private async fetchCommsForResync(): Promise<CommsChange> {
    const before = new Set(this.knownComms);
    const upserted = await this.invoke('comms:get', {});
    const now = new Set(upserted.map((c) => c.id));
    return { upserted, removed: [...before].filter((id) => !now.has(id)) };
  }

  // ---- messages --------------------------------------------------------------------------

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    const decoded = decodeHostMessage(data);
    if (!decoded.ok) {
      this.g.console.error(`Quire: ignored a malformed message from the host: ${decoded.error}`);
      return;
    }
    const msg = decoded.message;
    if (msg.type === 'result') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
      return;
    }
    if (msg.event === 'comms:changed') {
      traceHop('window:comms-event');
      this.remember(msg.payload as CommsChange);
    }
    if (msg.event === 'host:status') this.status = msg.payload as HostStatus;
    this.dispatch(msg.event, msg.payload);
  }

  private setStatus(status: HostStatus): void {
    if (this.status.connected === status.connected && this.status.message === status.message) return;
    this.status = status;
    this.dispatch('host:status', status);
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    if (event === 'comms:changed') this.remember(payload as CommsChange);
    this.dispatch(event, payload);
  }

  private dispatch(event: EventName, payload: unknown): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        l(payload);
      } catch (err) {
        this.g.console.error(`Quire: a ${event} listener threw`, err);
      }
    }
  }

  private remember(change: CommsChange): void {
    for (const c of change.upserted ?? []) this.knownComms.add(c.id);
    for (const id of change.removed ?? []) this.knownComms.delete(id);
  }

  private rememberAll(comms: CommRecord[]): void {
    this.knownComms.clear();
    for (const c of comms) this.knownComms.add(c.id);
  }
}

function install(): void {
  const g = globalThis as unknown as PageGlobals;
  const url = new URL('ws', g.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  const api = Object.freeze(createQuireApi(new WebSocketTransport(url.href, g)));
  Object.defineProperty(globalThis, 'quire', { value: api, enumerable: true, configurable: false, writable: false });
  // `npm run bench -- --trace-hops` puts this array in the page before it loads.
  const hopSink = (globalThis as { __quireHopTrace?: unknown }).__quireHopTrace;
  if (Array.isArray(hopSink)) startHopTrace((lines) => hopSink.push(lines), 100);
}

install();
