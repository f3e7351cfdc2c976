/**
 * The Electron preload (sandboxed, context-isolated): exposes exactly the IPC contract as
 * `window.quire` — `createQuireApi` over ipcRenderer. The page never sees ipcRenderer itself.
 *
 * Channels: each request goes to `ipcRenderer.invoke(<contract channel name>)`, answered with an
 * `IpcReply` envelope (errors arrive as messages, not as Electron's wrapped exceptions); each
 * event arrives on an ipcRenderer channel named after the contract event, with one listener per
 * event name fanning out to the page's subscribers.
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  createQuireApi,
  EVENT_NAMES,
  type Channel,
  type ChannelRequest,
  type ChannelResponse,
  type EventName,
  type Events,
  type HostStatus,
  type IpcTransport,
  type Unsubscribe,
} from '../src-shared/ipc/contract';
import { isIpcReply } from '../src-shared/ipc/websocket-wire';

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
let status: HostStatus = { connected: true };

for (const name of EVENT_NAMES) {
  const set = new Set<(payload: unknown) => void>();
  listeners.set(name, set);
  ipcRenderer.on(name, (_event, payload: unknown) => {
    if (name === 'host:status') status = payload as HostStatus;
    for (const l of [...set]) {
      try {
        l(payload);
      } catch (err) {
        console.error(`Quire: a ${name} listener threw`, err);
      }
    }
  });
}

const transport: IpcTransport = {
  async invoke<C extends Channel>(channel: C, request: ChannelRequest<C>): Promise<ChannelResponse[C]> {
    const reply: unknown = await ipcRenderer.invoke(channel, request);
    if (!isIpcReply(reply)) throw new Error(`${channel}: the Quire main process sent a malformed reply`);
    if (!reply.ok) throw new Error(reply.error);
    return reply.result as ChannelResponse[C];
  },
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe {
    const set = listeners.get(event);
    if (!set) throw new Error(`unknown Quire event "${String(event)}"`);
    const l = listener as (payload: unknown) => void;
    set.add(l);
    if (event === 'host:status' && !status.connected) {
      const now = status;
      queueMicrotask(() => set.has(l) && l(now));
    }
    return () => {
      set.delete(l);
    };
  },
};

contextBridge.exposeInMainWorld('quire', createQuireApi(transport));
