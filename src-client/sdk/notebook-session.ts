/**
 * A client's view of one notebook: its own Automerge replica, kept in sync with the
 * daemon's, plus the notebook's requests (execute, save, …).
 */
import * as A from '@automerge/automerge';
import { newCellId } from '../../src-shared/ipynb/cell-id';
import type { Broadcast, ExecuteResult, OutputJson, RequestResult } from '../../src-shared/protocol/messages';
import {
  blankCell,
  clearOutputs,
  deleteCell,
  getCells,
  getComms,
  getDocId,
  getFileState,
  getKernel,
  editCellSource,
  getRecovery,
  insertCell,
  isDirty,
  mergeCells,
  moveCell,
  setCellSource,
  hasComm,
  setCellType,
  setCommState,
  type TextEdit,
  spliceCellSource,
  splitCell,
  type CellType,
  type CellView,
  type CommRecord,
  type FileView,
  type KernelView,
  type NotebookDoc,
  type RecoveryView,
} from '../../src-shared/schema/notebook-doc';
import type { DaemonConnection } from './daemon-connection';
import { traceHop } from '../../src-shared/hop-trace';

/** The kernel asks for input during an execution this session started with stdin allowed. */
export interface InputRequest {
  /** The id of the `execute` request (what `execute-output` broadcasts carry too). */
  requestId: number;
  /** The cell being run; null when code was run. */
  cellId: string | null;
  /** The prompt the code gave (`input('name? ')` → "name? "). */
  prompt: string;
  /** The answer should not be echoed (getpass). */
  password: boolean;
}

export interface ExecuteOptions {
  /** Outputs of code (not of cells, which go to the doc) as they arrive. */
  onOutput?: (output: OutputJson) => void;
  /**
   * Let the code ask for input (`input()`, `getpass()`). Input requests go to `onInput`
   * when given, else to the session's `onInputRequest` listeners (answer with `replyInput`).
   * Without it, input() raises StdinNotImplementedError in the kernel, as in Jupyter front
   * ends without stdin.
   */
  allowStdin?: boolean;
  /**
   * Answers this execution's input requests (implies `allowStdin`): return, or resolve to,
   * the text the user typed. If it throws or rejects, the kernel is interrupted and the
   * cell ends with KeyboardInterrupt, rather than waiting forever.
   */
  onInput?: (request: InputRequest) => string | Promise<string>;
}

/** A cell to insert; everything is optional (an empty code cell with a fresh id). */
export interface NewCellInput {
  cellType?: CellType;
  source?: string;
  /** nbformat id (1–64 of a-z A-Z 0-9 - _), unique in the notebook; default: a fresh random one. */
  id?: string;
  metadata?: Record<string, unknown>;
}

export interface CustomMessage {
  commId: string;
  content: Record<string, unknown>;
  buffers: Uint8Array[];
}

/**
 * What one replica change did: the heads before and after and Automerge's patches between them
 * (absent when the change came from a merge, where Automerge reports none). Lets a listener
 * that needs to know what changed skip a second `A.diff` over the same change.
 */
export interface ReplicaChange {
  before: A.Heads;
  after: A.Heads;
  patches?: A.Patch[];
}

export type ChangeListener = (doc: A.Doc<NotebookDoc>, change: ReplicaChange) => void;

export class NotebookSession {
  private doc: A.Doc<NotebookDoc> = A.init<NotebookDoc>();
  private syncState = A.initSyncState();
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly customListeners = new Set<(msg: CustomMessage) => void>();
  private readonly statusListeners = new Set<(status: string) => void>();
  private readonly inputListeners = new Set<(request: InputRequest) => void>();
  /** execute request id → what to do with its input requests. */
  private readonly inputHandlers = new Map<number, (request: InputRequest) => void>();
  private readonly headWaiters = new Set<{ heads: string[]; resolve: () => void }>();
  private readonly disposers: (() => void)[] = [];
  private closed = false;
  private replyQueued = false;

  private readonly driverListeners = new Set<(driver: boolean) => void>();
  /** widget-driver broadcasts handled so far (setDrivesWidgets tells its reply from newer news). */
  private driverBroadcasts = 0;

  constructor(
    private readonly conn: DaemonConnection,
    readonly roomId: string,
    readonly path: string,
    private widgetDriver = false,
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
    traceHop('replica:sync-received');
    const before = A.getHeads(this.doc);
    let patches: A.Patch[] | undefined;
    [this.doc, this.syncState] = A.receiveSyncMessage(this.doc, this.syncState, message, { patchCallback: (p) => (patches = p) });
    traceHop('replica:sync-applied');
    this.notifyChange(before, patches);
    this.checkHeadWaiters();
    this.replySoon();
  }

  /**
   * The reply to the daemon waits one turn: listeners first (a host tells its windows in the
   * turn its change listener queued), so the reply is not on the path from kernel to window,
   * and the sync messages read in one turn get one reply.
   */
  private replySoon(): void {
    if (this.replyQueued) return;
    this.replyQueued = true;
    setImmediate(() => {
      this.replyQueued = false;
      if (!this.closed) this.sendSync();
    });
  }

  private notifyChange(before: A.Heads, patches?: A.Patch[]): void {
    const after = A.getHeads(this.doc);
    if (after.join() === before.join()) return;
    const change: ReplicaChange = patches ? { before, after, patches } : { before, after };
    for (const l of this.changeListeners) l(this.doc, change);
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
    this.notifyChange(before);
    this.sendSync();
    return true;
  }

  // ---- reads ----------------------------------------------------------------------------

  /** The replica (read-only snapshot). */
  get current(): A.Doc<NotebookDoc> {
    return this.doc;
  }

  getWidgets(): CommRecord[] {
    return getComms(this.doc);
  }

  getCells(): CellView[] {
    return this.doc.cells ? getCells(this.doc) : [];
  }

  getKernel(): KernelView {
    return getKernel(this.doc);
  }

  /** Changed since the last save or load (set by the daemon when it receives an edit). */
  isDirty(): boolean {
    return isDirty(this.doc);
  }

  /** Saving / saved / save error / changed on disk / autosave, as the daemon recorded it. */
  getFileState(): FileView {
    return getFileState(this.doc);
  }

  /** Set when the daemon restored unsaved edits from a crash snapshot; see `resolveRecovery`. */
  getRecovery(): RecoveryView | null {
    return getRecovery(this.doc);
  }

  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  // ---- writes ---------------------------------------------------------------------------

  /** Changes widget traits in this replica; the daemon forwards them to the kernel. */
  updateWidget(commId: string, patch: Record<string, unknown>): void {
    if (!hasComm(this.doc, commId)) throw new Error(`no widget ${commId} in ${this.path}`);
    const before = A.getHeads(this.doc);
    let patches: A.Patch[] | undefined;
    this.doc = A.change(this.doc, { patchCallback: (p) => (patches = p) }, (d) => {
      setCommState(d, commId, patch);
    });
    this.notifyChange(before, patches);
    this.sendSync();
  }

  /** Replaces a cell's source in this replica (as a text diff, so concurrent edits merge). */
  setCellSource(cellId: string, source: string): void {
    this.mutate((d) => {
      if (!setCellSource(d, cellId, source)) throw new Error(`no cell ${cellId} in ${this.path}`);
    });
  }

  /**
   * Changes this replica and syncs it to the daemon (which marks the notebook dirty). A
   * mutator that throws (unknown cell, bad index) changes nothing; the error says why.
   */
  private mutate<T>(fn: (d: NotebookDoc) => T): T {
    let result: T | undefined;
    const before = A.getHeads(this.doc);
    let patches: A.Patch[] | undefined;
    this.doc = A.change(this.doc, { patchCallback: (p) => (patches = p) }, (d) => {
      result = fn(d);
    });
    if (A.getHeads(this.doc).join() !== before.join()) {
      this.notifyChange(before, patches);
      this.sendSync();
    }
    return result as T;
  }

  // Cell structure. The edits are Automerge changes like any other: every window sees them
  // and they merge with concurrent edits (see the mutators in src-shared/schema/notebook-doc.ts).

  /** Inserts a cell at `index` (0..cells.length); returns its id. */
  insertCell(index: number, cell: NewCellInput = {}): string {
    return this.mutate((d) => {
      const id = cell.id ?? newCellId(new Set(d.cells.map((c) => c.id)));
      insertCell(d, index, {
        ...blankCell(id, cell.cellType ?? 'code', cell.source ?? ''),
        metadataJson: JSON.stringify(cell.metadata ?? {}),
      });
      return id;
    });
  }

  deleteCell(cellId: string): void {
    this.mutate((d) => deleteCell(d, cellId));
  }

  /** Moves a cell to `toIndex` (its index afterwards); id, source, outputs and metadata stay. */
  moveCell(cellId: string, toIndex: number): void {
    this.mutate((d) => moveCell(d, cellId, toIndex));
  }

  /** code ↔ markdown ↔ raw; a cell that stops being code loses its outputs and execution count. */
  setCellType(cellId: string, type: CellType): void {
    this.mutate((d) => setCellType(d, cellId, type));
  }

  /**
   * Splits a cell at a UTF-16 offset of its source (CodeMirror's cursor position), as
   * JupyterLab does; returns the id of the new second cell (it gets the outputs).
   */
  splitCell(cellId: string, offset: number): string {
    return this.mutate((d) => {
      const id = newCellId(new Set(d.cells.map((c) => c.id)));
      splitCell(d, cellId, offset, id);
      return id;
    });
  }

  /** Merges cells into the first of them in notebook order (sources joined with `separator`); returns its id. */
  mergeCells(cellIds: readonly string[], separator = '\n'): string {
    return this.mutate((d) => mergeCells(d, cellIds, separator));
  }

  /** Clears outputs and execution count of one cell, or of every cell. */
  clearOutputs(cellId?: string): void {
    this.mutate((d) => clearOutputs(d, cellId));
  }

  /**
   * Replaces source[from, to) with `insert` (UTF-16 offsets): one CodeMirror change. Bind an
   * editor with this rather than `setCellSource`, so concurrent typing merges exactly.
   */
  spliceCellSource(cellId: string, from: number, to: number, insert: string): void {
    this.mutate((d) => spliceCellSource(d, cellId, from, to, insert));
  }

  /** Applies text edits (offsets in the current source) to a cell in this replica, as one change. */
  editCellSource(cellId: string, edits: readonly TextEdit[]): void {
    this.mutate((d) => editCellSource(d, cellId, edits));
  }

  /**
   * Runs code in the notebook's kernel (started if needed), or a cell by id. Outputs of
   * code go to `onOutput` as they arrive and in the result; a cell's go to the doc.
   * The second argument is `onOutput` or `ExecuteOptions` (stdin: `allowStdin`, `onInput`).
   *
   *   await nb.execute("name = input('name? ')", { onInput: async ({ prompt }) => ask(prompt) });
   */
  async execute(
    codeOrCell: string | { cellId: string },
    onOutputOrOptions?: ((output: OutputJson) => void) | ExecuteOptions,
  ): Promise<ExecuteResult> {
    const options: ExecuteOptions = typeof onOutputOrOptions === 'function' ? { onOutput: onOutputOrOptions } : (onOutputOrOptions ?? {});
    const { onOutput, onInput } = options;
    const allowStdin = options.allowStdin === true || onInput !== undefined;
    const requestId = this.conn.peekNextRequestId();
    const off = onOutput
      ? this.conn.onBroadcast((e) => {
          if (e.event === 'execute-output' && e.roomId === this.roomId && e.requestId === requestId) onOutput(e.output);
        })
      : () => {};
    if (allowStdin) this.inputHandlers.set(requestId, (request) => this.handleInput(request, onInput));
    try {
      const params =
        typeof codeOrCell === 'string' ? { roomId: this.roomId, code: codeOrCell } : { roomId: this.roomId, cellId: codeOrCell.cellId };
      return await this.conn.request('execute', allowStdin ? { ...params, allowStdin: true } : params);
    } finally {
      off();
      this.inputHandlers.delete(requestId);
    }
  }

  private handleInput(request: InputRequest, onInput: ExecuteOptions['onInput']): void {
    if (onInput) {
      Promise.resolve()
        .then(() => onInput(request))
        .then(
          (value) => this.replyInput(String(value)),
          () => this.interrupt(),
        )
        .catch(() => {
          // The execution ended (or the connection closed) before the answer: nothing to do.
        });
      return;
    }
    if (this.inputListeners.size === 0) {
      // Nobody will ever answer: end the cell (KeyboardInterrupt) instead of hanging it.
      this.interrupt().catch(() => {});
      return;
    }
    for (const l of this.inputListeners) l(request);
  }

  /**
   * Input requests of executions started here with `allowStdin` and no `onInput` (a UI that
   * shows an input box under the cell). Answer with `replyInput`. If no listener is
   * registered when a request arrives, the kernel is interrupted instead.
   */
  onInputRequest(listener: (request: InputRequest) => void): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  /** Answers the pending input request (fails with `no-input-pending` when there is none). */
  replyInput(value: string): Promise<RequestResult['inputReply']> {
    return this.conn.request('inputReply', { roomId: this.roomId, value });
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

  /**
   * Chooses the notebook's kernel by kernelspec name (`client.kernelspecs()`): a running
   * kernel of another kind is shut down, `metadata.kernelspec` is recorded, and the next
   * execution starts the chosen kernel.
   */
  setKernel(name: string): Promise<RequestResult['setKernel']> {
    return this.conn.request('setKernel', { roomId: this.roomId, name });
  }

  /**
   * Saves the notebook (to `path`: writes a copy there). Fails with code `changed-on-disk`
   * when another program changed the file since it was loaded or saved; then `reload()`, or
   * save with `{ overwrite: true }`.
   */
  async save(path?: string, options: { overwrite?: boolean } = {}): Promise<RequestResult['save']> {
    // The daemon saves its doc: make sure it has our edits first.
    await this.confirmSent();
    return this.conn.request('save', {
      roomId: this.roomId,
      ...(path ? { path } : {}),
      ...(options.overwrite ? { overwrite: true } : {}),
    });
  }

  /** Replaces cells and metadata with the file on disk (unsaved edits are lost); kernel and live widgets stay. */
  async reload(): Promise<RequestResult['reload']> {
    const result = await this.conn.request('reload', { roomId: this.roomId });
    await this.confirmSync();
    return result;
  }

  /**
   * After a crash-recovery restore (`getRecovery()` not null): `keep` the recovered edits
   * (the notebook stays dirty, autosave resumes) or reload the file, discarding them.
   */
  async resolveRecovery(keep: boolean): Promise<RequestResult['resolveRecovery']> {
    const result = await this.conn.request('resolveRecovery', { roomId: this.roomId, keep });
    await this.confirmSync();
    return result;
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

  /** True while this client drives the notebook's front-end widgets (opened with `drivesWidgets`). */
  isWidgetDriver(): boolean {
    return this.widgetDriver;
  }

  /** Offers (or withdraws) this client as the driver of front-end widgets, e.g. as windows come and go. */
  async setDrivesWidgets(drives: boolean): Promise<boolean> {
    const broadcastsBefore = this.driverBroadcasts;
    const { driver } = await this.conn.request('drivesWidgets', { roomId: this.roomId, drives });
    // The daemon broadcasts every change of role, this one's before its reply. A broadcast
    // handled since sending is as new as the reply or newer (a later election, read in the
    // same chunk as the reply, before this continuation ran): the reply must not undo it.
    if (this.driverBroadcasts !== broadcastsBefore) return this.widgetDriver;
    this.widgetDriver = driver;
    for (const l of this.driverListeners) l(driver);
    return driver;
  }

  onWidgetDriver(listener: (driver: boolean) => void): () => void {
    this.driverListeners.add(listener);
    return () => this.driverListeners.delete(listener);
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
    } else if (event.event === 'widget-driver') {
      this.driverBroadcasts++;
      this.widgetDriver = event.driver;
      for (const l of this.driverListeners) l(event.driver);
    } else if (event.event === 'input-request') {
      const { requestId, cellId, prompt, password } = event;
      this.inputHandlers.get(requestId)?.({ requestId, cellId, prompt, password });
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
