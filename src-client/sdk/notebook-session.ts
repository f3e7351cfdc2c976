/**
 * A client's view of one notebook: its own Automerge replica, kept in sync with the
 * daemon's, plus the notebook's requests (execute, save, …).
 */
import * as A from '@automerge/automerge';
import type { Broadcast, ExecuteResult, OutputJson, RequestResult } from '../../src-shared/protocol/messages';
import {
  getCells,
  getComms,
  getDocId,
  getKernel,
  setCellSource,
  setCommState,
  type CellView,
  type CommRecord,
  type KernelView,
  type NotebookDoc,
} from '../../src-shared/schema/notebook-doc';
import type { DaemonConnection } from './daemon-connection';

export interface CustomMessage {
  commId: string;
  content: Record<string, unknown>;
  buffers: Uint8Array[];
}

export class NotebookSession {
  private doc: A.Doc<NotebookDoc> = A.init<NotebookDoc>();
  private syncState = A.initSyncState();
  private readonly changeListeners = new Set<(doc: A.Doc<NotebookDoc>) => void>();
  private readonly customListeners = new Set<(msg: CustomMessage) => void>();
  private readonly statusListeners = new Set<(status: string) => void>();
  private readonly headWaiters = new Set<{ heads: string[]; resolve: () => void }>();
  private readonly disposers: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly conn: DaemonConnection,
    readonly roomId: string,
    readonly path: string,
  ) {
    this.disposers.push(conn.onSync(roomId, (m) => this.receiveSync(m)));
    this.disposers.push(conn.onBroadcast((e) => this.onBroadcast(e)));
  }

  /** Starts syncing; the daemon also sends its first message when the room is opened. */
  start(): void {
    this.sendSync();
  }

  // ---- sync ---------------------------------------------------------------------------

  private receiveSync(message: Uint8Array): void {
    const before = A.getHeads(this.doc);
    [this.doc, this.syncState] = A.receiveSyncMessage(this.doc, this.syncState, message);
    this.sendSync();
    if (A.getHeads(this.doc).join() !== before.join()) {
      for (const l of this.changeListeners) l(this.doc);
    }
    this.checkHeadWaiters();
  }

  private sendSync(): void {
    const [state, message] = A.generateSyncMessage(this.doc, this.syncState);
    this.syncState = state;
    if (message) this.conn.sendSync(this.roomId, message);
  }

  private checkHeadWaiters(): void {
    for (const w of this.headWaiters) {
      if (A.hasHeads(this.doc, w.heads)) {
        this.headWaiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Resolves once this replica holds everything the daemon had when it was called. */
  async confirmSync(timeoutMs = 30_000): Promise<void> {
    const { heads } = await this.conn.request('heads', { roomId: this.roomId });
    if (A.hasHeads(this.doc, heads)) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = { heads, resolve };
      this.headWaiters.add(waiter);
      const timer = setTimeout(() => {
        this.headWaiters.delete(waiter);
        reject(new Error(`confirmSync: replica of ${this.path} did not catch up within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = waiter.resolve;
      waiter.resolve = () => {
        clearTimeout(timer);
        done();
      };
      this.sendSync();
    });
  }

  /**
   * Merges an earlier replica of the same doc (same `docId`) into this one and sends what
   * the daemon lacks — edits made while the daemon was gone survive its restart. Returns
   * false, changing nothing, when the histories differ (the daemon loaded the file anew).
   */
  adopt(previous: A.Doc<NotebookDoc>): boolean {
    const id = getDocId(previous);
    if (!id || id !== getDocId(this.doc)) return false;
    const before = A.getHeads(this.doc);
    this.doc = A.merge(this.doc, A.clone(previous));
    if (A.getHeads(this.doc).join() !== before.join()) {
      for (const l of this.changeListeners) l(this.doc);
    }
    this.sendSync();
    return true;
  }

  // ---- reads ----------------------------------------------------------------------------

  /** The replica (read-only snapshot). */
  get current(): A.Doc<NotebookDoc> {
    return this.doc;
  }

  getWidgets(): CommRecord[] {
    return this.doc.comms ? getComms(this.doc) : [];
  }

  getCells(): CellView[] {
    return this.doc.cells ? getCells(this.doc) : [];
  }

  getKernel(): KernelView {
    return getKernel(this.doc);
  }

  onChange(listener: (doc: A.Doc<NotebookDoc>) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  // ---- writes ---------------------------------------------------------------------------

  /** Changes widget traits in this replica; the daemon forwards them to the kernel. */
  updateWidget(commId: string, patch: Record<string, unknown>): void {
    if (!this.doc.comms?.[commId]) throw new Error(`no widget ${commId} in ${this.path}`);
    this.doc = A.change(this.doc, (d) => {
      setCommState(d, commId, patch);
    });
    for (const l of this.changeListeners) l(this.doc);
    this.sendSync();
  }

  /** Replaces a cell's source in this replica (as a text diff, so concurrent edits merge). */
  setCellSource(cellId: string, source: string): void {
    this.doc = A.change(this.doc, (d) => {
      if (!setCellSource(d, cellId, source)) throw new Error(`no cell ${cellId} in ${this.path}`);
    });
    for (const l of this.changeListeners) l(this.doc);
    this.sendSync();
  }

  /**
   * Runs code in the notebook's kernel (started if needed), or a cell by id. Outputs of
   * code go to `onOutput` as they arrive and in the result; a cell's go to the doc.
   */
  async execute(codeOrCell: string | { cellId: string }, onOutput?: (output: OutputJson) => void): Promise<ExecuteResult> {
    const requestId = this.conn.peekNextRequestId();
    const off = onOutput
      ? this.conn.onBroadcast((e) => {
          if (e.event === 'execute-output' && e.roomId === this.roomId && e.requestId === requestId) onOutput(e.output);
        })
      : () => {};
    try {
      const params =
        typeof codeOrCell === 'string' ? { roomId: this.roomId, code: codeOrCell } : { roomId: this.roomId, cellId: codeOrCell.cellId };
      return await this.conn.request('execute', params);
    } finally {
      off();
    }
  }

  interrupt(): Promise<RequestResult['interrupt']> {
    return this.conn.request('interrupt', { roomId: this.roomId });
  }

  restart(): Promise<RequestResult['restart']> {
    return this.conn.request('restart', { roomId: this.roomId });
  }

  shutdownKernel(): Promise<RequestResult['shutdownKernel']> {
    return this.conn.request('shutdownKernel', { roomId: this.roomId });
  }

  async save(path?: string): Promise<RequestResult['save']> {
    // The daemon saves its doc: make sure it has our edits first.
    await this.confirmSent();
    return this.conn.request('save', path ? { roomId: this.roomId, path } : { roomId: this.roomId });
  }

  /** Resolves when the daemon holds every change of this replica. */
  async confirmSent(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const mine = A.getHeads(this.doc);
    for (;;) {
      const { contains } = await this.conn.request('heads', { roomId: this.roomId, contains: mine });
      if (contains) return;
      if (Date.now() > deadline) throw new Error(`the daemon did not receive this client's changes to ${this.path} in time`);
      this.sendSync();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  sendCustom(commId: string, content: Record<string, unknown>, buffers: Uint8Array[] = []): Promise<RequestResult['sendCustom']> {
    return this.conn.request('sendCustom', {
      roomId: this.roomId,
      commId,
      content,
      buffers: buffers.map((b) => Buffer.from(b).toString('base64')),
    });
  }

  onCustom(listener: (msg: CustomMessage) => void): () => void {
    this.customListeners.add(listener);
    return () => this.customListeners.delete(listener);
  }

  onKernelStatus(listener: (status: string) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async getBlob(hash: string): Promise<Uint8Array> {
    const { base64 } = await this.conn.request('getBlob', { hash });
    return new Uint8Array(Buffer.from(base64, 'base64'));
  }

  /** Stores bytes in the daemon's blob store (for a binary trait written as a blob ref). */
  async putBlob(bytes: Uint8Array): Promise<string> {
    const { hash } = await this.conn.request('putBlob', { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') });
    return hash;
  }

  private onBroadcast(event: Broadcast): void {
    if (event.roomId !== this.roomId) return;
    if (event.event === 'custom') {
      const msg = {
        commId: event.commId,
        content: event.content,
        buffers: event.buffers.map((b) => new Uint8Array(Buffer.from(b, 'base64'))),
      };
      for (const l of this.customListeners) l(msg);
    } else if (event.event === 'kernel-status') {
      for (const l of this.statusListeners) l(event.status);
    }
  }

  async close(options: { shutdownKernelIfUnused?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.confirmSent(5000);
      await this.conn.request('close', { roomId: this.roomId, ...options });
    } finally {
      for (const d of this.disposers) d();
    }
  }
}

