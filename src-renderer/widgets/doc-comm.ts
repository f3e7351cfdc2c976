/**
 * The comm-like object each widget model talks through. A kernel comm would carry
 * `comm_msg`s to and from ipykernel; ours carries them to and from the synced doc:
 *
 *  - model → doc: `send({method: 'update', state})` (what `save_changes`/`sync` produce, already
 *    `serialize`d by the model's serializers) becomes `api.updateWidget(id, patch)`, merged and
 *    coalesced to at most one call per animation frame; `send({method: 'custom'})` becomes
 *    `api.sendCustom`. Binary traits (FileUpload) first go to the daemon's blob store
 *    (`api.putBlob`) and are written as `{ $quireBlob: hash }` at their buffer paths.
 *  - doc → model: changed traits arrive as a synthetic `update` comm_msg handed to the model's
 *    own `_handle_comm_msg` (the official path: `put_buffers`, `_deserialize_state`, then
 *    `set_state` under the model's `_state_lock`, so the change is not re-synced), custom
 *    messages as a synthetic `custom` comm_msg (→ `msg:custom` on the model).
 *
 * This file is glue by necessity: @jupyter-widgets ships comm shims only for
 * @jupyterlab/services kernels, and there is no kernel in a Quire window.
 *
 * No echo, in two layers: the model's `_state_lock` keeps doc-applied values out of its own
 * diff, and `docJson` (per trait, the JSON the doc last had or that we last wrote) drops any
 * outgoing value the doc already holds. While a local edit is pending or in flight, doc
 * values for that trait are held back (they are older than the edit: the same rule as
 * JupyterLab's `_expectedEchoMsgIds`), so a slider never jumps back while being dragged.
 */
import type { ICallbacks, IClassicComm, WidgetModel } from '@jupyter-widgets/base';
import { uuid } from '@jupyter-widgets/base';
import { BlobFetcher, bufferToBase64, containsBlobRef } from './blobs';

/** The part of `QuireApi` a comm writes to. */
export interface CommSink {
  updateWidget(id: string, patch: Record<string, unknown>): Promise<void>;
  sendCustom(id: string, content: Record<string, unknown>, buffers?: string[]): Promise<void>;
  /** Stores bytes (base64) in the daemon's blob store; resolves with the hash. */
  putBlob(base64: string): Promise<string>;
}

/** How long a sent trait waits for the doc to reflect it before doc values win again. */
const IN_FLIGHT_MS = 2000;
/** rAF does not run in hidden windows; this makes sure a final value still goes out. */
const FLUSH_FALLBACK_MS = 100;

type MsgHandler = (msg: unknown) => void;

interface InFlight {
  json: string;
  until: number;
}

function jsonOf(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

export class DocComm implements IClassicComm {
  readonly comm_id: string;
  readonly target_name: string;
  /** Per trait: the JSON the doc last had (or that this window last wrote to it). */
  readonly docJson = new Map<string, string>();
  /** Set once the model exists; used to skip doc values the model already has. */
  model: WidgetModel | undefined;

  private readonly handlers: MsgHandler[] = [];
  private readonly closeHandlers: MsgHandler[] = [];
  /** Doc messages that arrived before the model subscribed (it is still being built). */
  private readonly queued: unknown[] = [];
  private pending: Record<string, unknown> | null = null;
  private readonly inFlight = new Map<string, InFlight>();
  private latestState: Record<string, unknown> = {};
  private inbound: Promise<void> = Promise.resolve();
  private frame: number | undefined;
  private fallback: ReturnType<typeof setTimeout> | undefined;
  private reconcileTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Per binary trait: the upload whose result may still be written (a newer edit replaces it). */
  private readonly uploads = new Map<string, number>();
  private uploadSeq = 0;

  constructor(
    id: string,
    targetName: string,
    private readonly sink: CommSink,
    private readonly blobs: BlobFetcher,
    initialState: Record<string, unknown> = {},
  ) {
    this.comm_id = id;
    this.target_name = targetName;
    this.latestState = initialState;
    for (const [key, value] of Object.entries(initialState)) this.docJson.set(key, jsonOf(value));
  }

  // ---- IClassicComm -------------------------------------------------------------------

  open(): string {
    return uuid();
  }

  send(data: unknown, callbacks?: ICallbacks, _metadata?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): string {
    const msgId = uuid();
    if (this.closed || typeof data !== 'object' || data === null) return msgId;
    const msg = data as { method?: unknown; state?: unknown; buffer_paths?: unknown; content?: unknown };
    if (msg.method === 'update' && typeof msg.state === 'object' && msg.state !== null) {
      this.queueUpdate(
        msg.state as Record<string, unknown>,
        Array.isArray(msg.buffer_paths) ? (msg.buffer_paths as unknown[][]) : [],
        buffers ?? [],
      );
      // WidgetModel counts this as a pending kernel message until an idle status arrives
      // (its throttle). The doc write is ours to coalesce, so report idle right away —
      // in a microtask, because the model increments its counter after send() returns.
      const status = callbacks?.iopub?.status;
      if (status) queueMicrotask(() => status({ content: { execution_state: 'idle' } } as never));
    } else if (msg.method === 'custom') {
      this.flush();
      const content = (typeof msg.content === 'object' && msg.content !== null ? msg.content : {}) as Record<string, unknown>;
      const encoded = (buffers ?? []).map((b) => bufferToBase64(b));
      this.sink
        .sendCustom(this.comm_id, content, encoded.length ? encoded : undefined)
        .catch((err: Error) => console.error(`Quire widgets: custom message from ${this.comm_id} not sent: ${err.message}`));
    }
    // Other methods (request_state, …) ask a kernel for things the doc already has.
    return msgId;
  }

  /** The window no longer uses this comm; it never closes the kernel's comm. */
  close(): string {
    this.flush();
    this.closed = true;
    this.cancelTimers();
    return uuid();
  }

  on_msg(callback: MsgHandler): void {
    this.handlers.push(callback);
    for (const msg of this.queued.splice(0)) callback(msg);
  }

  on_close(callback: MsgHandler): void {
    this.closeHandlers.push(callback);
  }

  // ---- model → doc ----------------------------------------------------------------------

  private queueUpdate(state: Record<string, unknown>, bufferPaths: unknown[][], buffers: ArrayBuffer[] | ArrayBufferView[]): void {
    const binary = new Set(bufferPaths.map((p) => String(p[0])));
    for (const [key, value] of Object.entries(state)) {
      if (!binary.has(key)) {
        this.uncoverUpload(key);
        (this.pending ??= {})[key] = value;
      }
    }
    if (binary.size > 0) this.uploadBinary(state, bufferPaths, buffers, binary);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.pending && this.frame === undefined && this.fallback === undefined) {
      this.frame = requestAnimationFrame(() => this.flush());
      this.fallback = setTimeout(() => this.flush(), FLUSH_FALLBACK_MS);
    }
  }

  /** A newer edit of `key` makes an upload still in progress for it stale. */
  private uncoverUpload(key: string): void {
    this.uploads.delete(key);
  }

  /**
   * Binary traits (FileUpload's contents, a custom widget's array): the doc holds JSON, and
   * bytes belong in the daemon's blob store (DESIGN.md step 8). Each buffer is stored
   * first; its hash goes in the doc at the buffer's path as `{ $quireBlob }`, exactly as the
   * daemon writes kernel buffers; the daemon turns it back into a buffer for the kernel.
   */
  private uploadBinary(state: Record<string, unknown>, bufferPaths: unknown[][], buffers: ArrayBuffer[] | ArrayBufferView[], keys: Set<string>): void {
    const token = ++this.uploadSeq;
    for (const key of keys) this.uploads.set(key, token);
    const values: Record<string, unknown> = {};
    for (const key of keys) values[key] = structuredClone(state[key] ?? null);
    void Promise.all(bufferPaths.map((_, i) => (buffers[i] === undefined ? Promise.resolve(undefined) : this.sink.putBlob(bufferToBase64(buffers[i]!)))))
      .then((hashes) => {
        bufferPaths.forEach((path, i) => {
          const hash = hashes[i];
          if (hash !== undefined) setAtPath(values, path, { $quireBlob: hash });
        });
        if (this.closed) return;
        for (const key of keys) {
          if (this.uploads.get(key) !== token) continue; // a newer edit of this trait won
          this.uploads.delete(key);
          (this.pending ??= {})[key] = values[key];
        }
        this.scheduleFlush();
      })
      .catch((err: Error) => {
        for (const key of keys) if (this.uploads.get(key) === token) this.uploads.delete(key);
        console.error(`Quire widgets: could not upload ${[...keys].join(', ')} of ${this.comm_id}: ${err.message}`);
        this.applyDocState(this.latestState);
      });
  }

  /** Sends the merged pending patch now (at most one `updateWidget` per call). */
  flush(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    if (this.fallback !== undefined) clearTimeout(this.fallback);
    this.frame = this.fallback = undefined;
    const pending = this.pending;
    this.pending = null;
    if (!pending || this.closed) return;
    const patch: Record<string, unknown> = {};
    const sent = new Map<string, string>();
    const until = Date.now() + IN_FLIGHT_MS;
    for (const [key, value] of Object.entries(pending)) {
      const json = jsonOf(value);
      if (this.docJson.get(key) === json) continue; // the doc already has it: no echo
      patch[key] = value;
      sent.set(key, json);
      this.docJson.set(key, json);
      this.inFlight.set(key, { json, until });
    }
    if (sent.size === 0) return;
    this.scheduleReconcile(IN_FLIGHT_MS);
    this.sink.updateWidget(this.comm_id, patch).catch((err: Error) => {
      console.error(`Quire widgets: update of ${this.comm_id} (${[...sent.keys()].join(', ')}) failed: ${err.message}`);
      // The doc is the source of truth: forget the optimistic values and show the doc's.
      for (const [key, json] of sent) {
        if (this.inFlight.get(key)?.json === json) this.inFlight.delete(key);
        if (this.docJson.get(key) === json) this.docJson.delete(key);
      }
      this.applyDocState(this.latestState);
    });
  }

  // ---- doc → model ----------------------------------------------------------------------

  /**
   * Applies a doc record's state: only traits whose JSON differs from what the model has,
   * minus traits with a newer local edit pending or in flight.
   */
  applyDocState(state: Record<string, unknown>): void {
    if (this.closed) return;
    this.latestState = state;
    const changed: Record<string, unknown> = {};
    let held = false;
    for (const [key, value] of Object.entries(state)) {
      const json = jsonOf(value);
      if (this.isHeldBack(key, json)) {
        held = true;
        continue;
      }
      if (this.docJson.get(key) === json) continue;
      this.docJson.set(key, json);
      if (this.modelHas(key, value, json)) continue;
      changed[key] = value;
    }
    if (held) this.scheduleReconcile(IN_FLIGHT_MS);
    if (Object.keys(changed).length === 0) return;
    this.inbound = this.inbound
      .then(async () => {
        const resolved = await this.blobs.resolve(changed);
        // A local edit may have started while the bytes were fetched: it wins.
        for (const key of Object.keys(resolved)) {
          if (this.pending && key in this.pending) delete resolved[key];
          else if (this.inFlight.has(key)) delete resolved[key];
        }
        if (Object.keys(resolved).length === 0 || this.closed) return;
        this.dispatch({
          header: { msg_type: 'comm_msg', msg_id: uuid() },
          parent_header: {},
          metadata: {},
          content: { comm_id: this.comm_id, data: { method: 'update', state: resolved, buffer_paths: [] } },
          buffers: [],
        });
      })
      .catch((err: Error) => console.error(`Quire widgets: could not apply doc state to ${this.comm_id}: ${err.message}`));
  }

  /** A custom message from the kernel (ephemeral broadcast), for `msg:custom` on the model. */
  deliverCustom(content: Record<string, unknown>, buffers: DataView[]): void {
    this.inbound = this.inbound.then(() => {
      if (this.closed) return;
      this.dispatch({
        header: { msg_type: 'comm_msg', msg_id: uuid() },
        parent_header: {},
        metadata: {},
        content: { comm_id: this.comm_id, data: { method: 'custom', content } },
        buffers,
      });
    });
  }

  /** Resolves after every doc message received so far has been handed to the model. */
  settled(): Promise<void> {
    return this.inbound;
  }

  /** The doc removed this comm. Pending local edits are dropped: there is nothing to edit. */
  markRemoved(): void {
    this.pending = null;
    this.closed = true;
    this.cancelTimers();
    for (const handler of this.closeHandlers) handler({ content: { comm_id: this.comm_id, data: {} } });
  }

  private isHeldBack(key: string, json: string): boolean {
    if (this.pending && key in this.pending) return true;
    if (this.uploads.has(key)) return true; // a local binary edit is on its way

    const flight = this.inFlight.get(key);
    if (!flight) return false;
    if (flight.json === json) {
      this.inFlight.delete(key); // the doc caught up with our write
      return false;
    }
    if (Date.now() < flight.until) return true; // older than our write
    this.inFlight.delete(key); // the write never showed up (or was overridden): doc wins
    return false;
  }

  private modelHas(key: string, value: unknown, json: string): boolean {
    const model = this.model;
    if (!model || containsBlobRef(value)) return false;
    try {
      const current = model.serialize({ [key]: model.get(key) })[key];
      return jsonOf(current) === json;
    } catch {
      return false;
    }
  }

  private scheduleReconcile(ms: number): void {
    if (this.reconcileTimer !== undefined) clearTimeout(this.reconcileTimer);
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = undefined;
      if (this.inFlight.size > 0 || this.pending) this.applyDocState(this.latestState);
    }, ms + 50);
  }

  private dispatch(msg: unknown): void {
    if (this.handlers.length === 0) this.queued.push(msg);
    for (const handler of this.handlers) handler(msg);
  }

  private cancelTimers(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    if (this.fallback !== undefined) clearTimeout(this.fallback);
    if (this.reconcileTimer !== undefined) clearTimeout(this.reconcileTimer);
    this.frame = this.fallback = this.reconcileTimer = undefined;
  }
}

/** Writes `value` at `path` inside `root`, creating objects/arrays on the way. */
function setAtPath(root: Record<string, unknown>, path: unknown[], value: unknown): void {
  let parent: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i] as string | number;
    const next = parent[step];
    if (typeof next !== 'object' || next === null) parent[step] = typeof path[i + 1] === 'number' ? [] : {};
    parent = parent[step] as Record<string | number, unknown>;
  }
  parent[path[path.length - 1] as string | number] = value;
}
