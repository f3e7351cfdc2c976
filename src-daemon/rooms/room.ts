/**
 * A room: one open notebook. Holds the authoritative Automerge doc, the sync state of
 * every peer (main processes, headless clients), and the notebook's kernel.
 */
import * as A from '@automerge/automerge';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { JupyterMessage, KernelStatus } from '../../src-shared/jupyter/messages';
import type { ExecuteResult, OutputJson } from '../../src-shared/protocol/messages';
import {
  appendCellOutput,
  batchCommSeqs,
  clearCellOutputs,
  commStatePathOf,
  finishCellRun,
  getCellIndex,
  getCellOutputCount,
  getCellOutputJson,
  getCellSource,
  getCommStateText,
  getKernel,
  getNotebookMetadata,
  isDirty,
  pathDirties,
  setDirty,
  replaceCellOutput,
  setCellExecutionCount,
  setCellRun,
  setCommStateJson,
  setKernel,
  setNotebookMetadataJson,
  startCellRun,
  type NotebookDoc,
  type RunStatus,
} from '../../src-shared/schema/notebook-doc';
import type { BlobStore } from '../blobs/blob-store';
import type { KernelConnection, KernelProvider } from '../kernels/provider';
import { resolveKernelSpec } from '../kernels/kernelspecs';
import type { Logger } from '../log';
import type { ClientConnection } from '../transport/connection';
import { CommBridge } from './comm-bridge';
import { isOutputMessage, OutputRouter, type OutputTarget } from './output-router';
import { CoalescingWriter } from './coalescing-writer';
import { NotebookFileState } from './file-state';
import { RoomError } from './room-error';
import { StdinBroker, type StdinExecution } from './stdin';
import { reattachLiveWidgets } from './widget-readoption';
import { withNotebookMetadata } from '../ipynb/notebook-file';
import { traceHop } from '../../src-shared/hop-trace';

export { RoomError } from './room-error';

interface Peer {
  conn: ClientConnection;
  syncState: A.SyncState;
  /** A message with changes went out and the peer has not answered yet (see syncPeer). */
  awaitingReply: NodeJS.Timeout | null;
}

/**
 * How long a peer may leave a message with changes unanswered before the room sends anyway:
 * a guard against a peer that never replies, not a pacing interval (a live peer answers in ms).
 */
const REPLY_GUARD_MS = 1000;

interface Execution extends StdinExecution {
  msgId: string;
  cellId: string | null;
  outputs: OutputJson[];
  replied: boolean;
  idle: boolean;
  result: Omit<ExecuteResult, 'outputs' | 'msgId' | 'cellId'> | null;
  requester: { conn: ClientConnection; requestId: number } | null;
  /** When the kernel started running it (ms since the epoch); null while queued. */
  startedAt: number | null;
  resolve: (r: ExecuteResult) => void;
}

export interface RoomDeps {
  provider: KernelProvider;
  blobs: BlobStore;
  logger: Logger;
  broadcast(room: Room, event: Parameters<ClientConnection['sendBroadcast']>[0]): void;
  onDocChanged?(room: Room): void;
  /** The doc now matches the notebook file (after a save or reload). */
  onSaved?(room: Room): void;
  /** Autosave after this long dirty and quiet; 0 disables it. */
  autosaveMs?: number;
  /** How often the file is checked for changes by other programs. */
  filePollMs?: number;
  /** A kernel start failed or was cancelled: the room may now hold nothing worth keeping. */
  onKernelStartEnded?(room: Room): void;
}

export class Room {
  private docValue: A.Doc<NotebookDoc>;
  private readonly peers = new Map<string, Peer>();
  /** Peers that can drive front-end widgets, and the one that does. */
  private readonly driverCandidates = new Set<string>();
  private widgetDriver: string | null = null;
  private kernel: KernelConnection | null = null;
  /** The kernel start in progress, and its cancel (a shutdown while the kernel starts). */
  private kernelStart: { done: Promise<KernelConnection>; abort: AbortController } | null = null;
  private readonly bridge: CommBridge;
  private readonly outputs = new OutputRouter();
  private readonly writer: CoalescingWriter<NotebookDoc>;
  private readonly executions = new Map<string, Execution>();
  private syncScheduled = false;
  private unsubscribeKernel: (() => void) | null = null;
  /** Unset only while the constructor runs (its first change happens before it exists). */
  private fileState: NotebookFileState | undefined;
  private readonly stdin: StdinBroker;

  constructor(
    readonly id: string,
    readonly path: string,
    doc: A.Doc<NotebookDoc>,
    private readonly deps: RoomDeps,
  ) {
    this.docValue = doc;
    this.writer = new CoalescingWriter<NotebookDoc>((ops, onTimer) => this.applyOps(ops, onTimer ? 'now' : 'soon'));
    this.bridge = new CommBridge({
      enqueue: (op) => this.writer.enqueue(op),
      doc: () => this.docValue,
      sendCommMsg: (commId, data, buffers) => {
        void this.kernel
          ?.send({ channel: 'shell', msg_type: 'comm_msg', content: { comm_id: commId, data }, buffers })
          .catch((err: Error) => deps.logger.warn(`comm_msg to kernel failed: ${err.message}`));
      },
      broadcastCustom: (commId, content, buffers) =>
        deps.broadcast(this, {
          event: 'custom',
          roomId: this.id,
          commId,
          content,
          buffers: CommBridge.encodeBuffers(buffers),
        }),
      blobs: deps.blobs,
      logger: deps.logger,
    });
    this.stdin = new StdinBroker({
      id,
      path,
      execution: (msgId) => this.executions.get(msgId),
      executions: () => this.executions.values(),
      isPeer: (conn) => this.peers.has(conn.id),
      kernel: () => this.kernel,
      interrupt: () => this.interrupt(),
      logger: deps.logger,
    });
    this.fileState = new NotebookFileState(
      {
        id,
        path,
        doc: () => this.docValue,
        change: (fn) => this.change(fn),
        flush: () => this.writer.flushNow(),
        blobs: deps.blobs,
        logger: deps.logger,
        onSaved: () => deps.onSaved?.(this),
      },
      { autosaveMs: deps.autosaveMs ?? 0, ...(deps.filePollMs ? { pollMs: deps.filePollMs } : {}) },
    );
  }

  private get file(): NotebookFileState {
    if (!this.fileState) throw new Error('room file state used before the room was constructed');
    return this.fileState;
  }

  get doc(): A.Doc<NotebookDoc> {
    return this.docValue;
  }

  get clientCount(): number {
    return this.peers.size;
  }

  get kernelPid(): number | null {
    return this.kernel?.pid ?? null;
  }

  /** A kernel runs or is starting: the room stays open for it. */
  get hasKernel(): boolean {
    return this.kernel !== null || this.kernelStart !== null;
  }

  // ---- doc changes ---------------------------------------------------------------

  /** Applies a local (daemon) change right away. */
  change(fn: (d: NotebookDoc) => void): void {
    this.writer.flushNow();
    this.commit(fn);
  }

  /**
   * Kernel traffic, coalesced to one change per frame. When the batch's own timer applies it,
   * nothing else commits in that turn and its sync goes out at once ('now'); when a caller
   * flushes it before a change of its own, both go out together ('soon').
   */
  private applyOps(ops: ((d: NotebookDoc) => void)[], sync: 'now' | 'soon'): void {
    this.commit((d) => {
      for (const op of ops) {
        // One bad kernel message must not take the rest of the batch (or the room) with it.
        try {
          op(d);
        } catch (err) {
          this.deps.logger.error(`room ${this.id}: doc update failed: ${(err as Error).stack ?? String(err)}`);
        }
      }
    }, sync);
  }

  private commit(fn: (d: NotebookDoc) => void, sync: 'now' | 'soon' = 'soon'): void {
    traceHop('daemon:commit-start');
    const before = A.getHeads(this.docValue);
    this.docValue = A.change(this.docValue, (d) => {
      this.currentDraft = d;
      try {
        batchCommSeqs(d, () => fn(d));
      } finally {
        this.currentDraft = null;
      }
    });
    traceHop('daemon:committed');
    if (A.getHeads(this.docValue).join() !== before.join()) this.docChanged(before, sync);
  }

  /**
   * `sync`: 'soon' coalesces the commits of one turn into one message per peer (a second
   * message would wait for the peer's reply); 'now', only for a commit no other follows in its
   * turn, saves the peers a turn and runs before the bookkeeping below.
   */
  private docChanged(before?: A.Heads, sync: 'now' | 'soon' = 'soon'): void {
    if (before && !isDirty(this.docValue)) {
      const after = A.getHeads(this.docValue);
      if (A.diff(this.docValue, before, after).some((p) => pathDirties(p.path))) {
        this.docValue = A.change(this.docValue, (d) => setDirty(d, true));
      }
    }
    if (sync === 'now') this.syncPeers();
    else this.scheduleSync();
    this.deps.onDocChanged?.(this);
    this.fileState?.docChanged();
  }

  // ---- sync ------------------------------------------------------------------------

  addPeer(conn: ClientConnection, options: { drivesWidgets?: boolean } = {}): void {
    if (this.peers.has(conn.id)) return;
    this.peers.set(conn.id, { conn, syncState: A.initSyncState(), awaitingReply: null });
    if (options.drivesWidgets) this.driverCandidates.add(conn.id);
    this.electWidgetDriver();
    this.syncPeer(this.peers.get(conn.id)!);
  }

  removePeer(conn: ClientConnection): boolean {
    const peer = this.peers.get(conn.id);
    if (!peer) return false;
    this.peers.delete(conn.id);
    if (peer.awaitingReply) clearTimeout(peer.awaitingReply);
    this.driverCandidates.delete(conn.id);
    this.electWidgetDriver();
    this.stdin.abandon(conn);
    return true;
  }

  setDriverCandidate(conn: ClientConnection, drives: boolean): void {
    if (!this.peers.has(conn.id)) return;
    if (drives) this.driverCandidates.add(conn.id);
    else this.driverCandidates.delete(conn.id);
    this.electWidgetDriver();
  }

  /** Whether `conn` runs this room's front-end-driven widgets (one Play timer for everyone). */
  isWidgetDriver(conn: ClientConnection): boolean {
    return this.widgetDriver === conn.id;
  }

  /**
   * The driver keeps driving while it can (the others' windows already follow it); when it
   * leaves or withdraws, the earliest-joined candidate takes over. Only the two connections whose role changed
   * hear about it.
   */
  private electWidgetDriver(): void {
    const incumbent = this.widgetDriver !== null && this.driverCandidates.has(this.widgetDriver) ? this.widgetDriver : null;
    const next = incumbent ?? [...this.peers.keys()].find((id) => this.driverCandidates.has(id)) ?? null;
    if (next === this.widgetDriver) return;
    const previous = this.widgetDriver;
    this.widgetDriver = next;
    for (const [id, driver] of [
      [previous, false],
      [next, true],
    ] as const) {
      const peer = id === null ? undefined : this.peers.get(id);
      peer?.conn.sendBroadcast({ event: 'widget-driver', roomId: this.id, driver });
    }
  }

  hasPeer(conn: ClientConnection): boolean {
    return this.peers.has(conn.id);
  }

  receiveSync(conn: ClientConnection, message: Uint8Array): void {
    const peer = this.peers.get(conn.id);
    if (!peer) throw new RoomError('bad-request', `sync for room ${this.id} before opening it`);
    this.writer.flushNow();
    const before = A.getHeads(this.docValue);
    const [next, syncState] = A.receiveSyncMessage(this.docValue, peer.syncState, message);
    peer.syncState = syncState;
    this.replied(peer);
    this.docValue = next;
    const after = A.getHeads(next);
    if (after.join() !== before.join()) {
      try {
        this.forwardPeerEdits(before, after);
      } catch (err) {
        this.deps.logger.error(`room ${this.id}: forwarding a peer edit to the kernel failed: ${(err as Error).message}`);
      } finally {
        // The doc moved on regardless: every other peer must hear of it.
        this.docChanged(before);
      }
    }
    this.syncPeer(peer);
  }

  /** A peer changed the doc: widget traits it touched go to the kernel. */
  private forwardPeerEdits(before: A.Heads, after: A.Heads): void {
    const touched: { commId: string; key: string }[] = [];
    for (const patch of A.diff(this.docValue, before, after)) {
      const at = commStatePathOf(patch.path);
      if (at) touched.push(at);
    }
    if (touched.length) this.bridge.forwardPeerChanges(touched);
  }

  private scheduleSync(): void {
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      this.syncPeers();
    });
  }

  private syncPeers(): void {
    for (const peer of this.peers.values()) this.syncPeer(peer);
  }

  /**
   * At most one message with changes in flight per peer: what the room commits meanwhile goes
   * out together in the next message, once the peer has answered. Sending one message per
   * commit made the peer pay a receiveSyncMessage (and us a reply) per commit; under a burst
   * that doubled the time for both (SYNC-DECISION.md: 10k updates 9.2 s → 4.8 s). A single
   * update still goes out at once, so latency is unchanged.
   */
  private syncPeer(peer: Peer): void {
    if (!peer.conn.isOpen || peer.awaitingReply) return;
    const [syncState, message] = A.generateSyncMessage(this.docValue, peer.syncState);
    peer.syncState = syncState;
    if (!message) return;
    traceHop('daemon:sync-ready');
    peer.conn.sendSync(this.id, message);
    // Only a message that carries changes is sure to be answered (the peer's heads move); a
    // heads-only message may legitimately get no reply.
    if (A.decodeSyncMessage(message).changes.length > 0) {
      peer.awaitingReply = setTimeout(() => {
        peer.awaitingReply = null;
        if (this.peers.get(peer.conn.id) === peer) this.syncPeer(peer);
      }, REPLY_GUARD_MS);
      peer.awaitingReply.unref();
    }
  }

  private replied(peer: Peer): void {
    if (!peer.awaitingReply) return;
    clearTimeout(peer.awaitingReply);
    peer.awaitingReply = null;
  }

  // ---- the notebook file (file-state.ts) ---------------------------------------------------

  save(options: { path?: string; overwrite?: boolean } = {}): Promise<{ path: string; bytes: number }> {
    return this.file.save(options);
  }

  reload(): Promise<{ path: string; cells: number }> {
    return this.file.reload();
  }

  resolveRecovery(keep: boolean): Promise<{ resolved: boolean }> {
    return this.file.resolveRecovery(keep);
  }

  /** Stops the file's timers; the room is being dropped. */
  dispose(): void {
    this.file.dispose();
  }

  hasHeads(heads: string[]): boolean {
    return A.hasHeads(this.docValue, heads);
  }

  heads(): string[] {
    this.writer.flushNow();
    return A.getHeads(this.docValue);
  }

  // ---- kernel ----------------------------------------------------------------------

  async ensureKernel(): Promise<KernelConnection> {
    if (this.kernel) return this.kernel;
    if (!this.kernelStart) {
      const abort = new AbortController();
      const done = this.startKernel(abort.signal).finally(() => {
        this.kernelStart = null;
      });
      this.kernelStart = { done, abort };
      done.catch(() => {
        try {
          this.deps.onKernelStartEnded?.(this);
        } catch (err) {
          this.deps.logger.error(`room ${this.id}: after a failed kernel start: ${(err as Error).message}`);
        }
      });
    }
    return this.kernelStart.done;
  }

  /** Resolves once no kernel start is in progress (whether it succeeded or not). */
  async kernelSettled(): Promise<void> {
    await this.kernelStart?.done.catch(() => {});
  }

  private async startKernel(signal: AbortSignal): Promise<KernelConnection> {
    const meta = getNotebookMetadata(this.docValue) as {
      kernelspec?: { name?: unknown; language?: unknown };
      language_info?: { name?: unknown };
    };
    const specs = await this.deps.provider.listSpecs();
    const wantedName = typeof meta.kernelspec?.name === 'string' ? meta.kernelspec.name : undefined;
    const wantedLanguage =
      typeof meta.kernelspec?.language === 'string'
        ? meta.kernelspec.language
        : typeof meta.language_info?.name === 'string'
          ? meta.language_info.name
          : undefined;
    const spec = resolveKernelSpec(specs, { name: wantedName, language: wantedLanguage });
    if (!spec) {
      const message =
        'no Jupyter kernel is installed where Quire looks (JUPYTER_PATH, ~/.local/share/jupyter, the project venv, /usr/share/jupyter); run `npm run setup` or install ipykernel';
      this.change((d) => setKernel(d, { status: 'dead', error: message }));
      throw new RoomError('no-kernelspec', message);
    }
    this.change((d) =>
      setKernel(d, { status: 'starting', name: spec.name, displayName: spec.display_name, language: spec.language, error: null }),
    );
    const cancelled = () => {
      this.change((d) => setKernel(d, { status: 'unknown', error: null }));
      return new RoomError('kernel-error', `kernel ${spec.name} was shut down while it was starting`);
    };
    let kernel: KernelConnection;
    try {
      kernel = await this.deps.provider.launch(spec, { cwd: dirname(this.path), owner: { roomId: this.id, notebookPath: this.path } }, signal);
    } catch (err) {
      if (signal.aborted) throw cancelled();
      const message = `kernel ${spec.name} failed to start: ${(err as Error).message}`;
      this.change((d) => setKernel(d, { status: 'dead', error: message }));
      throw new RoomError('kernel-error', message);
    }
    if (signal.aborted) {
      // Cancelled as the start completed (shutdown is idempotent if the provider already began it).
      await kernel.shutdown();
      throw cancelled();
    }
    this.kernel = kernel;
    this.unsubscribeKernel = kernel.onEvent((event) => {
      if (event.type === 'message') this.onKernelMessage(event.message);
      else this.onKernelStatus(event.status, event.reason);
    });
    this.recordKernelInfo(kernel);
    this.change((d) => setKernel(d, { status: kernel.status === 'starting' ? 'idle' : kernel.status }));
    this.deps.logger.info(`room ${this.id}: kernel ${spec.name} started for ${this.path}`);
    return kernel;
  }

  /**
   * Takes over a kernel that outlived a daemon crash (re-adopted by the provider): its
   * variables are intact, and its widgets become live again (widget-readoption.ts).
   * False when the room already has a kernel; the caller then shuts the survivor down.
   */
  attachKernel(kernel: KernelConnection): boolean {
    if (this.kernel || this.kernelStart) return false;
    this.kernel = kernel;
    this.unsubscribeKernel = kernel.onEvent((event) => {
      if (event.type === 'message') this.onKernelMessage(event.message);
      else this.onKernelStatus(event.status, event.reason);
    });
    const spec = kernel.spec;
    this.change((d) =>
      setKernel(d, { status: kernel.status, name: spec.name, displayName: spec.display_name, language: spec.language, error: null }),
    );
    void reattachLiveWidgets(kernel, this.bridge, this.deps.blobs, this.deps.logger).then(
      (n) => this.deps.logger.info(`room ${this.id}: re-attached kernel ${spec.name} (pid ${kernel.pid ?? '?'}) with ${n} live widget(s)`),
      (err: Error) => {
        // Without the kernel's answer the restored comms cannot be trusted to be live.
        this.deps.logger.warn(`room ${this.id}: could not ask the re-attached kernel for its widgets: ${err.message}`);
        if (this.kernel === kernel) this.bridge.adoptLiveComms(new Map());
      },
    );
    return true;
  }

  /** JupyterLab records the kernel's identity in the notebook; do the same when it is missing. */
  private recordKernelInfo(kernel: KernelConnection): void {
    const meta = getNotebookMetadata(this.docValue);
    const patch: Record<string, unknown> = {};
    if (!meta.kernelspec) {
      patch.kernelspec = { name: kernel.spec.name, display_name: kernel.spec.display_name, language: kernel.spec.language };
    }
    if (!meta.language_info && kernel.info?.language_info) patch.language_info = kernel.info.language_info;
    if (Object.keys(patch).length === 0) return;
    const json = withNotebookMetadata(this.docValue, patch);
    this.change((d) => setNotebookMetadataJson(d, json));
  }

  private onKernelStatus(status: KernelStatus, reason?: string): void {
    if (status === 'dead') {
      this.deps.logger.warn(`room ${this.id}: kernel died${reason ? `: ${reason}` : ''}`);
      this.abortExecutions('the kernel died');
      this.bridge.dropKernelComms();
      this.outputs.reset();
      this.unsubscribeKernel?.();
      this.unsubscribeKernel = null;
      this.kernel = null;
    }
    if (status === 'restarting') {
      this.abortExecutions('the kernel was restarted');
      this.bridge.dropKernelComms();
      this.outputs.reset();
    }
    this.writer.enqueue((d) => setKernel(d, { status, ...(status === 'dead' ? { error: reason ?? 'the kernel died' } : {}) }));
    this.deps.broadcast(this, { event: 'kernel-status', roomId: this.id, status, ...(reason ? { reason } : {}) });
  }

  private onKernelMessage(msg: JupyterMessage): void {
    if (msg.channel === 'iopub') this.onIopub(msg);
    else if (msg.channel === 'shell' && msg.header.msg_type === 'execute_reply') this.onExecuteReply(msg);
    else if (msg.channel === 'stdin' && msg.header.msg_type === 'input_request') this.stdin.onInputRequest(msg);
  }

  private onIopub(msg: JupyterMessage): void {
    const type = msg.header.msg_type;
    const parentId = msg.parent_header.msg_id;
    if (this.bridge.handleKernelMessage(msg)) return;
    if (type === 'status') {
      // The kernel's own state reaches the doc through onKernelStatus, which ignores the
      // busy/idle of control requests (kernels/execution-state.ts); here only executions count.
      const state = (msg.content as { execution_state?: unknown }).execution_state;
      if (typeof state === 'string') {
        const exec = parentId ? this.executions.get(parentId) : undefined;
        // The kernel goes busy on a request when it starts running it (spec: status busy
        // with that parent precedes everything else it does for the request).
        if (exec && state === 'busy') this.markStarted(exec);
        if (exec && state === 'idle') {
          exec.idle = true;
          this.maybeFinish(exec);
        }
      }
      return;
    }
    const exec = parentId ? this.executions.get(parentId) : undefined;
    if (type === 'execute_input' && exec?.cellId) {
      this.markStarted(exec);
      const cellId = exec.cellId;
      const count = (msg.content as { execution_count?: unknown }).execution_count;
      if (typeof count === 'number') this.writer.enqueue((d) => setCellExecutionCount(d, cellId, count));
      return;
    }
    if (!isOutputMessage(type)) return;
    const widgetId = this.bridge.outputWidgetFor(parentId);
    if (widgetId) {
      this.writer.enqueue((d) => {
        const target = this.widgetTarget(d, widgetId);
        this.outputs.apply(msg, target, () => target);
        target.commitToKernel();
      });
      return;
    }
    if (type === 'update_display_data') {
      // Resolved against the targets recorded for the display_id, whichever cell they are in.
      this.writer.enqueue(() => this.outputs.apply(msg, this.nullTarget(), () => this.nullTarget()));
      return;
    }
    if (!exec) return;
    if (exec.cellId) {
      const cellId = exec.cellId;
      this.writer.enqueue(() => {
        const target = this.cellTarget(cellId);
        this.outputs.apply(msg, target, () => this.cellTarget(cellId));
      });
    } else {
      const target = this.listTarget(exec);
      this.outputs.apply(msg, target, () => target);
    }
  }

  /** The draft doc of the change being applied; output targets write into it. */
  private currentDraft: NotebookDoc | null = null;

  private cellTarget(cellId: string): OutputTarget {
    const draft = () => {
      if (!this.currentDraft) throw new Error('cell outputs can only change inside a doc change');
      return this.currentDraft;
    };
    return {
      key: `cell:${cellId}`,
      count: () => getCellOutputCount(draft(), cellId),
      get: (i) => {
        const json = getCellOutputJson(draft(), cellId, i);
        return json === undefined ? undefined : (JSON.parse(json) as OutputJson);
      },
      append: (o) => appendCellOutput(draft(), cellId, JSON.stringify(o)),
      replace: (i, o) => replaceCellOutput(draft(), cellId, i, JSON.stringify(o)),
      clear: () => clearCellOutputs(draft(), cellId),
    };
  }

  private widgetTarget(d: NotebookDoc, commId: string): OutputTarget & { commitToKernel(): void } {
    const read = (): OutputJson[] => {
      const json = getCommStateText(d, commId, 'outputs');
      try {
        const v = json ? JSON.parse(json) : [];
        return Array.isArray(v) ? v : [];
      } catch {
        return [];
      }
    };
    let list = read();
    let dirty = false;
    const write = () => {
      dirty = true;
      setCommStateJson(d, commId, { outputs: JSON.stringify(list) });
    };
    return {
      key: `widget:${commId}`,
      count: () => list.length,
      get: (i) => list[i],
      append: (o) => {
        list.push(o);
        write();
        return list.length - 1;
      },
      replace: (i, o) => {
        list[i] = o;
        write();
      },
      clear: () => {
        list = [];
        write();
      },
      // The Output widget's front end reports captured outputs back to the kernel (so
      // `out.outputs` is right there); the daemon plays that front end.
      commitToKernel: () => {
        if (dirty) this.bridge.sendDaemonUpdate(commId, { outputs: JSON.stringify(list) });
      },
    };
  }

  private listTarget(exec: Execution): OutputTarget {
    const notify = (output: OutputJson) => {
      if (exec.requester) {
        exec.requester.conn.sendBroadcast({
          event: 'execute-output',
          roomId: this.id,
          requestId: exec.requester.requestId,
          output,
        });
      }
    };
    return {
      key: `exec:${exec.msgId}`,
      count: () => exec.outputs.length,
      get: (i) => exec.outputs[i],
      append: (o) => {
        exec.outputs.push(o);
        notify(o);
        return exec.outputs.length - 1;
      },
      replace: (i, o) => {
        const prev = exec.outputs[i];
        exec.outputs[i] = o;
        // Streams are coalesced for the record, but a live printer wants only the new text.
        if (prev?.output_type === 'stream' && o.output_type === 'stream') {
          notify({ ...o, text: String(o.text).slice(String(prev.text).length) });
        } else notify(o);
      },
      clear: () => {
        exec.outputs = [];
      },
    };
  }

  private nullTarget(): OutputTarget {
    return { key: 'none', count: () => 0, get: () => undefined, append: () => -1, replace: () => {}, clear: () => {} };
  }

  // ---- execution ----------------------------------------------------------------------

  /**
   * Runs code or a cell. `allowStdin`: the requester answers the kernel's input requests
   * (input(), getpass()); without it the kernel raises StdinNotImplementedError, as
   * Jupyter kernels do for front ends without stdin.
   */
  async execute(
    request: { code: string } | { cellId: string },
    requester: { conn: ClientConnection; requestId: number } | null,
    options: { allowStdin?: boolean } = {},
  ): Promise<ExecuteResult> {
    const allowStdin = options.allowStdin === true && requester !== null;
    let code: string;
    let cellId: string | null = null;
    if ('cellId' in request) {
      cellId = request.cellId;
      const source = getCellSource(this.docValue, cellId);
      if (source === undefined) throw new RoomError('not-found', `no cell with id ${cellId} in ${this.path}`);
      const index = getCellIndex(this.docValue, cellId);
      const cell = this.docValue.cells[index]!;
      if (cell.cellType !== 'code') {
        return { msgId: '', cellId, status: 'ok', executionCount: null, outputs: [] };
      }
      code = source;
      const id = cellId;
      this.change((d) => {
        this.outputs.clear(this.cellTarget(id));
        setCellExecutionCount(d, id, null);
        setCellRun(d, id, 'queued');
      });
    } else {
      code = request.code;
    }
    let kernel: KernelConnection;
    try {
      kernel = await this.ensureKernel();
    } catch (err) {
      if (cellId) {
        const id = cellId;
        this.change((d) => finishCellRun(d, id, 'aborted', Date.now()));
      }
      throw err;
    }
    return new Promise<ExecuteResult>((resolve, reject) => {
      // Registered before sending: the reply can arrive before send() resolves.
      const msgId = randomUUID();
      this.executions.set(msgId, {
        msgId,
        cellId,
        outputs: [],
        replied: false,
        idle: false,
        result: null,
        requester,
        allowStdin,
        startedAt: null,
        pendingInput: null,
        resolve,
      });
      kernel
        .send({
          channel: 'shell',
          msg_type: 'execute_request',
          msg_id: msgId,
          content: {
            code,
            silent: false,
            store_history: cellId !== null,
            user_expressions: {},
            allow_stdin: allowStdin,
            stop_on_error: true,
          },
        })
        .catch((err: Error) => {
          this.executions.delete(msgId);
          if (cellId) {
            const id = cellId;
            this.change((d) => finishCellRun(d, id, 'aborted', Date.now()));
          }
          reject(new RoomError('kernel-error', `could not send to the kernel: ${err.message}`));
        });
    });
  }

  private onExecuteReply(msg: JupyterMessage): void {
    const exec = msg.parent_header.msg_id ? this.executions.get(msg.parent_header.msg_id) : undefined;
    if (!exec) return;
    const c = msg.content as { status?: unknown; execution_count?: unknown; ename?: unknown; evalue?: unknown; traceback?: unknown };
    const status = c.status === 'ok' || c.status === 'error' ? c.status : 'aborted';
    exec.replied = true;
    exec.result = {
      status,
      executionCount: typeof c.execution_count === 'number' ? c.execution_count : null,
      ...(status === 'error'
        ? {
            error: {
              ename: String(c.ename ?? 'Error'),
              evalue: String(c.evalue ?? ''),
              traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
            },
          }
        : {}),
    };
    // An aborted request gets no iopub idle of its own.
    if (status === 'aborted') exec.idle = true;
    this.maybeFinish(exec);
  }

  /** The kernel started running this request: the cell is running and its timing starts. */
  private markStarted(exec: Execution): void {
    if (exec.startedAt !== null) return;
    const startedAt = Date.now();
    exec.startedAt = startedAt;
    if (exec.cellId) {
      const cellId = exec.cellId;
      this.writer.enqueue((d) => startCellRun(d, cellId, startedAt));
    }
  }

  private maybeFinish(exec: Execution): void {
    if (!exec.replied || !exec.idle || !exec.result) return;
    this.executions.delete(exec.msgId);
    exec.pendingInput = null;
    if (exec.cellId) {
      const cellId = exec.cellId;
      const count = exec.result.executionCount;
      const status: RunStatus = exec.result.status;
      const endedAt = Date.now();
      this.writer.enqueue((d) => {
        finishCellRun(d, cellId, status, endedAt);
        if (count !== null && status !== 'aborted') setCellExecutionCount(d, cellId, count);
      });
    }
    this.writer.flushNow();
    exec.resolve({ msgId: exec.msgId, cellId: exec.cellId, outputs: exec.outputs, ...exec.result });
  }

  /** The kernel died, restarted or was shut down: whatever was queued or running is aborted. */
  private abortExecutions(why: string): void {
    const endedAt = Date.now();
    for (const exec of this.executions.values()) {
      exec.pendingInput = null;
      if (exec.cellId) {
        const cellId = exec.cellId;
        this.writer.enqueue((d) => finishCellRun(d, cellId, 'aborted', endedAt));
      }
      exec.resolve({
        msgId: exec.msgId,
        cellId: exec.cellId,
        outputs: exec.outputs,
        status: 'aborted',
        executionCount: null,
        error: { ename: 'KernelDied', evalue: why, traceback: [] },
      });
    }
    this.executions.clear();
  }

  async interrupt(): Promise<boolean> {
    if (!this.kernel) return false;
    await this.kernel.interrupt();
    return true;
  }

  async restart(): Promise<boolean> {
    if (!this.kernel) {
      await this.ensureKernel();
      return true;
    }
    await this.kernel.restart();
    this.change((d) => setKernel(d, { status: 'idle', error: null }));
    return true;
  }

  async shutdownKernel(): Promise<boolean> {
    // A kernel still starting would come up after this and belong to nobody: cancel the start.
    const cancelled = this.kernelStart !== null;
    this.kernelStart?.abort.abort();
    await this.kernelSettled();
    const kernel = this.kernel;
    if (!kernel) return cancelled;
    this.kernel = null;
    this.unsubscribeKernel?.();
    this.unsubscribeKernel = null;
    this.abortExecutions('the kernel was shut down');
    this.bridge.dropKernelComms();
    this.outputs.reset();
    await kernel.shutdown();
    this.change((d) => setKernel(d, { status: 'unknown', error: null }));
    return true;
  }

  /**
   * Chooses the notebook's kernel: shuts the running one down unless it already is `name`
   * (its widgets leave the doc, as on restart), records `metadata.kernelspec` (a notebook
   * change: dirty), and shows the choice in the doc's kernel record right away. The next
   * execution starts it.
   */
  async setKernel(name: string): Promise<{ name: string; displayName: string; language: string; shutdown: boolean }> {
    const specs = await this.deps.provider.listSpecs();
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      const names = specs.map((s) => s.name).join(', ') || 'none';
      throw new RoomError('no-kernelspec', `no kernel named "${name}" is installed (installed: ${names}); pick one from kernelspecs`);
    }
    // A start in flight would otherwise hand out the old kernel after the switch.
    await this.kernelSettled();
    let shutdown = false;
    if (this.kernel && this.kernel.spec.name !== spec.name) shutdown = await this.shutdownKernel();
    const meta = getNotebookMetadata(this.docValue) as { language_info?: { name?: unknown } };
    // language_info describes the old kernel's language; the new kernel fills it in when it starts.
    const staleLanguage = meta.language_info !== undefined && meta.language_info?.name !== spec.language;
    const json = withNotebookMetadata(
      this.docValue,
      { kernelspec: { name: spec.name, display_name: spec.display_name, language: spec.language } },
      staleLanguage ? ['language_info'] : [],
    );
    this.change((d) => {
      setNotebookMetadataJson(d, json);
      if (!this.kernel) setKernel(d, { status: 'unknown', name: spec.name, displayName: spec.display_name, language: spec.language, error: null });
    });
    this.deps.logger.info(`room ${this.id}: kernel set to ${spec.name}${shutdown ? ' (the running kernel was shut down)' : ''}`);
    return { name: spec.name, displayName: spec.display_name, language: spec.language, shutdown };
  }

  /** Sends this connection's answer to the kernel's pending input request. */
  inputReply(conn: ClientConnection, value: string): Promise<boolean> {
    return this.stdin.reply(conn, value);
  }

  sendCustom(commId: string, content: Record<string, unknown>, buffers: Uint8Array[]): boolean {
    return this.bridge.sendCustom(commId, content, buffers);
  }

  kernelSummary(): { status: string; name: string | null; pid: number | null } | null {
    const k = getKernel(this.docValue);
    return { status: k.status, name: k.name, pid: this.kernelPid };
  }

  /** Runs queued writes now (before save, before answering `heads`). */
  flush(): void {
    this.writer.flushNow();
  }
}
