/**
 * The widget path between one kernel and one notebook doc (DESIGN.md steps 1, 2, 5–8).
 *
 * kernel → doc: comm_open creates `comms[id]` with the next seq; `update` messages are
 * coalesced per trait and written once per flush (the room flushes about once a frame).
 * doc → kernel: traits that a peer (not the daemon) changed are sent as comm `update`.
 *
 * Echo control: the bridge remembers the JSON of every trait as the kernel last knew
 * it (`kernelKnown`). A peer change is forwarded only when it differs from that, and an
 * `echo_update` only settles what the kernel knows, so the kernel's echo of a user
 * edit never comes back as a new edit, and only the echo of the last edit in flight is
 * applied, so a stale echo never overwrites a newer value.
 */
import type { JupyterMessage } from '../../src-shared/jupyter/messages';
import {
  deleteComm,
  deleteCommsFrom,
  getCommIds,
  getCommOrigin,
  getCommStateJson,
  getCommStateText,
  hasComm,
  putComm,
  setCommOrigin,
  setCommStateJson,
  type NotebookDoc,
} from '../../src-shared/schema/notebook-doc';
import type { BlobStore } from '../blobs/blob-store';
import type { Logger } from '../log';
import { blobRefsToBuffers, buffersToBlobRefs, toBase64 } from './widget-buffers';
import { traceHop } from '../../src-shared/hop-trace';

export const WIDGET_TARGET = 'jupyter.widget';

export interface BridgeHost {
  /** Queues a doc mutation; the room applies queued mutations in order, coalesced into one change. */
  enqueue(op: (d: NotebookDoc) => void): void;
  /** The room's current doc (read-only view). */
  doc(): NotebookDoc;
  sendCommMsg(commId: string, data: Record<string, unknown>, buffers: Uint8Array[]): void;
  broadcastCustom(commId: string, content: Record<string, unknown>, buffers: Uint8Array[]): void;
  blobs: BlobStore;
  logger: Logger;
}

type TraitMap = Map<string, string>;

/** A widget comm a re-attached kernel still holds; stateJson null when it could not report its state. */
export interface LiveComm {
  modelName: string;
  modelModule: string;
  modelModuleVersion: string;
  stateJson: Record<string, string> | null;
}

export class CommBridge {
  /** comm → trait → JSON the kernel holds. */
  private readonly kernelKnown = new Map<string, TraitMap>();
  /** comm → trait → JSON waiting for the next flush. */
  private readonly pending = new Map<string, TraitMap>();
  private pendingQueued = false;
  /** comm → trait → number of user updates sent and not yet echoed. */
  private readonly inFlight = new Map<string, Map<string, number>>();
  /** Output widgets capture outputs of the execution whose msg_id they hold. */
  private readonly outputWidgetByMsgId = new Map<string, string>();

  constructor(private readonly host: BridgeHost) {}

  // ---- kernel → doc ------------------------------------------------------------

  handleKernelMessage(msg: JupyterMessage): boolean {
    switch (msg.header.msg_type) {
      case 'comm_open':
        this.onCommOpen(msg);
        return true;
      case 'comm_msg':
        this.onCommMsg(msg);
        return true;
      case 'comm_close':
        this.onCommClose(msg);
        return true;
      default:
        return false;
    }
  }

  private onCommOpen(msg: JupyterMessage): void {
    const content = msg.content as { comm_id?: unknown; target_name?: unknown; data?: unknown };
    if (typeof content.comm_id !== 'string' || typeof content.target_name !== 'string') {
      this.host.logger.warn('comm_open without comm_id/target_name dropped');
      return;
    }
    if (content.target_name !== WIDGET_TARGET) {
      // Only widget comms live in the doc (DESIGN.md step 1); other targets are not ours.
      this.host.logger.info(`comm_open for target ${content.target_name} ignored`);
      return;
    }
    const commId = content.comm_id;
    const data = isRecord(content.data) ? content.data : {};
    const state = isRecord(data.state) ? { ...data.state } : {};
    buffersToBlobRefs(state, data.buffer_paths, msg.buffers, this.host.blobs);
    const stateJson = jsonPerTrait(state);
    this.kernelKnown.set(commId, new Map(Object.entries(stateJson)));
    this.trackOutputWidget(commId, stateJson);
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    this.host.enqueue((d) => {
      putComm(d, commId, {
        targetName: content.target_name as string,
        modelModule: str(state._model_module),
        modelModuleVersion: str(state._model_module_version),
        modelName: str(state._model_name),
        origin: 'kernel',
        stateJson,
      });
    });
    // A flush queued before this comm_open runs before the comm exists; updates of the new
    // comm (which the kernel often sends right away, e.g. `add_class`) need one queued after it.
    this.pendingQueued = false;
  }

  private onCommMsg(msg: JupyterMessage): void {
    const content = msg.content as { comm_id?: unknown; data?: unknown };
    if (typeof content.comm_id !== 'string' || !isRecord(content.data)) return;
    const commId = content.comm_id;
    const data = content.data;
    switch (data.method) {
      case 'update':
      case 'echo_update': {
        const state = isRecord(data.state) ? { ...data.state } : {};
        traceHop('daemon:comm-update', state.value);
        buffersToBlobRefs(state, data.buffer_paths, msg.buffers, this.host.blobs);
        this.applyKernelState(commId, jsonPerTrait(state), data.method === 'echo_update');
        return;
      }
      case 'update_states':
        // The reply to our own request_states on the widget control comm (widget-readoption.ts).
        return;
      case 'custom':
        this.host.broadcastCustom(commId, isRecord(data.content) ? data.content : {}, msg.buffers);
        return;
      default:
        this.host.logger.warn(`comm_msg method ${String(data.method)} on ${commId} ignored`);
    }
  }

  private applyKernelState(commId: string, traits: Record<string, string>, isEcho: boolean): void {
    const known = this.kernelKnown.get(commId) ?? new Map<string, string>();
    this.kernelKnown.set(commId, known);
    const flight = this.inFlight.get(commId);
    for (const [key, json] of Object.entries(traits)) {
      known.set(key, json);
      if (isEcho) {
        const n = flight?.get(key) ?? 0;
        if (n > 1) {
          // An echo of an older edit: a newer one is on its way to the kernel.
          flight!.set(key, n - 1);
          continue;
        }
        // The echo of our last edit is the kernel's settled value (it may have
        // validated it), so it is written like an update — as JupyterLab does.
        flight?.delete(key);
      }
      let comm = this.pending.get(commId);
      if (!comm) this.pending.set(commId, (comm = new Map()));
      comm.set(key, json);
    }
    this.trackOutputWidget(commId, traits);
    this.queuePendingFlush();
  }

  private queuePendingFlush(): void {
    if (this.pendingQueued || this.pending.size === 0) return;
    this.pendingQueued = true;
    this.host.enqueue((d) => {
      this.pendingQueued = false;
      for (const [commId, traits] of this.pending) {
        // A comm opened after this flush was queued is created by an op further down the
        // queue: its traits wait for the flush queued after that comm_open (see onCommOpen).
        if (!hasComm(d, commId) && this.kernelKnown.has(commId)) continue;
        setCommStateJson(d, commId, Object.fromEntries(traits));
        this.pending.delete(commId);
      }
      if (this.pending.size > 0) this.queuePendingFlush();
    });
  }

  private onCommClose(msg: JupyterMessage): void {
    const commId = (msg.content as { comm_id?: unknown }).comm_id;
    if (typeof commId !== 'string') return;
    this.forget(commId);
    this.host.enqueue((d) => {
      deleteComm(d, commId);
    });
  }

  private forget(commId: string): void {
    this.kernelKnown.delete(commId);
    this.pending.delete(commId);
    this.inFlight.delete(commId);
    for (const [msgId, id] of this.outputWidgetByMsgId) if (id === commId) this.outputWidgetByMsgId.delete(msgId);
  }

  /** Kernel restarted or died: its comms are gone from the doc. Saved (file) comms stay. */
  dropKernelComms(): void {
    this.kernelKnown.clear();
    this.pending.clear();
    this.inFlight.clear();
    this.outputWidgetByMsgId.clear();
    this.host.enqueue((d) => {
      deleteCommsFrom(d, 'kernel');
    });
  }

  /**
   * A kernel that outlived a daemon crash was re-attached: `live` holds the widget comms it
   * still has, with their current state when the kernel could report it (request_states).
   * Those become live comms again (kernelKnown seeded, so peer edits are forwarded and echoes
   * recognised); comms of the previous kernel session it no longer has leave the doc.
   */
  adoptLiveComms(live: Map<string, LiveComm>): void {
    const doc = this.host.doc();
    for (const [commId, comm] of live) {
      const known = new Map<string, string>();
      if (comm.stateJson) for (const [key, json] of Object.entries(comm.stateJson)) known.set(key, json);
      else for (const [key, json] of Object.entries(getCommStateJson(doc, commId) ?? {})) known.set(key, json);
      this.kernelKnown.set(commId, known);
      this.trackOutputWidget(commId, Object.fromEntries(known));
    }
    this.host.enqueue((d) => {
      for (const commId of getCommIds(d)) {
        if (!live.has(commId) && getCommOrigin(d, commId) === 'kernel') deleteComm(d, commId);
      }
      for (const [commId, comm] of live) {
        if (hasComm(d, commId)) {
          setCommOrigin(d, commId, 'kernel');
          if (comm.stateJson) setCommStateJson(d, commId, comm.stateJson);
        } else if (comm.stateJson) {
          putComm(d, commId, {
            targetName: WIDGET_TARGET,
            modelModule: comm.modelModule,
            modelModuleVersion: comm.modelModuleVersion,
            modelName: comm.modelName,
            origin: 'kernel',
            stateJson: comm.stateJson,
          });
        }
      }
    });
  }

  // ---- doc → kernel ------------------------------------------------------------

  /**
   * Called after a peer's sync message changed the doc, with the traits it touched.
   * Sends the kernel only what differs from what the kernel already has.
   */
  forwardPeerChanges(touched: Iterable<{ commId: string; key: string }>): void {
    const doc = this.host.doc();
    const byComm = new Map<string, Record<string, unknown>>();
    for (const { commId, key } of touched) {
      if (getCommOrigin(doc, commId) !== 'kernel') continue; // saved widgets have no kernel side yet
      const json = getCommStateText(doc, commId, key);
      if (json === undefined) continue;
      const known = this.kernelKnown.get(commId);
      if (known?.get(key) === json) continue;
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch {
        this.host.logger.warn(`peer wrote non-JSON to ${commId}.${key}; not sent to the kernel`);
        continue;
      }
      known?.set(key, json);
      // A kernel value waiting to be flushed is older than this edit; the edit wins.
      this.pending.get(commId)?.delete(key);
      const flight = this.inFlight.get(commId) ?? new Map<string, number>();
      this.inFlight.set(commId, flight);
      flight.set(key, (flight.get(key) ?? 0) + 1);
      const patch = byComm.get(commId) ?? {};
      patch[key] = value;
      byComm.set(commId, patch);
    }
    for (const [commId, patch] of byComm) {
      const { state, bufferPaths, buffers } = blobRefsToBuffers(patch, this.host.blobs);
      this.host.sendCommMsg(commId, { method: 'update', state, buffer_paths: bufferPaths }, buffers);
    }
  }

  /** The daemon itself (acting as the front end) changed traits, e.g. Output widget captures. */
  sendDaemonUpdate(commId: string, traits: Record<string, string>): void {
    const known = this.kernelKnown.get(commId) ?? new Map<string, string>();
    this.kernelKnown.set(commId, known);
    const patch: Record<string, unknown> = {};
    const flight = this.inFlight.get(commId) ?? new Map<string, number>();
    this.inFlight.set(commId, flight);
    for (const [key, json] of Object.entries(traits)) {
      known.set(key, json);
      // Its echo must not write an older list back over newer captures.
      flight.set(key, (flight.get(key) ?? 0) + 1);
      patch[key] = JSON.parse(json);
    }
    const { state, bufferPaths, buffers } = blobRefsToBuffers(patch, this.host.blobs);
    this.host.sendCommMsg(commId, { method: 'update', state, buffer_paths: bufferPaths }, buffers);
  }

  sendCustom(commId: string, content: Record<string, unknown>, buffers: Uint8Array[]): boolean {
    if (!this.kernelKnown.has(commId)) return false;
    this.host.sendCommMsg(commId, { method: 'custom', content }, buffers);
    return true;
  }

  isKernelComm(commId: string): boolean {
    return this.kernelKnown.has(commId);
  }

  // ---- Output widget capture ------------------------------------------------------

  /** The Output widget capturing outputs of the execution `parentMsgId`, if any. */
  outputWidgetFor(parentMsgId: string | undefined): string | undefined {
    return parentMsgId ? this.outputWidgetByMsgId.get(parentMsgId) : undefined;
  }

  private trackOutputWidget(commId: string, traits: Record<string, string>): void {
    if (!('msg_id' in traits)) return;
    for (const [msgId, id] of this.outputWidgetByMsgId) if (id === commId) this.outputWidgetByMsgId.delete(msgId);
    const msgId = safeParse(traits.msg_id!);
    if (typeof msgId === 'string' && msgId) this.outputWidgetByMsgId.set(msgId, commId);
  }

  /** Custom-message buffers as base64 for the JSON broadcast frame. */
  static encodeBuffers(buffers: Uint8Array[]): string[] {
    return buffers.map(toBase64);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function jsonPerTrait(state: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(state)) out[key] = JSON.stringify(value ?? null);
  return out;
}

function safeParse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
