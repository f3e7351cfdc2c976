/**
 * The Electron-free core of the main process, shared by the Electron adapter and the browser
 * host (DESIGN.md, "Two hosts, one shell"):
 *
 *  - one daemon connection (the SDK's `connect()`, which starts a daemon when none runs); when
 *    it drops, every window hears `host:status {connected:false}`, the core reconnects with
 *    backoff (starting a new daemon), reopens every notebook, resyncs the windows
 *    (`notebook:changed` + `comms:changed` with everything) and says `host:status {connected:true}`;
 *  - one replica (`NotebookSession`) per open notebook, shared by all of its windows and closed
 *    with the last of them;
 *  - the IPC router: `handle(windowId, channel, payload)` checks the sender, validates the
 *    request against the contract and dispatches it to the window's notebook. It never throws:
 *    every failure comes back as `{ ok: false, error }` with a message a person can act on;
 *  - change fan-out: each replica change becomes a `comms:changed` with only the comms that
 *    changed, and (at most once per frame) a `notebook:changed` when cells, kernel or the dirty
 *    flag changed; kernel custom messages become `custom` events.
 *
 * Adapters own windows; the core knows them only as ids with a `WindowSink`.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as A from '@automerge/automerge';
import type { z } from 'zod';
import { connect, type ConnectOptions, type NotebookSession, type QuireClient } from '../../src-client/sdk/index';
import type { ReplicaChange } from '../../src-client/sdk/notebook-session';
import {
  parseRequest,
  type Channel,
  type ChannelResponse,
  type Channels,
  type EventName,
  type Events,
  type NotebookSnapshot,
} from '../../src-shared/ipc/contract';
import type { IpcReply } from '../../src-shared/ipc/websocket-wire';
import type { ExecuteResult } from '../../src-shared/protocol/messages';
import {
  getCellIds,
  getCells,
  getCellsById,
  getCellSource,
  getCellSources,
  getCommIds,
  getNotebookKernelspec,
  isDirty,
  type NotebookDoc,
  type TextEdit,
} from '../../src-shared/schema/notebook-doc';
import { CellTextAuthority } from '../../src-shared/cell-text/authority';
import { everything, PendingChanges, sameHeads } from './doc-changes';
import { ExtensionFiles, extensionUrlPath, findWidgetExtensions, labextensionDirs, type LabextensionSearch } from './labextensions';
import { traceHop } from '../../src-shared/hop-trace';

/** How the core reaches one window. `send` must not throw for a window that is going away. */
export interface WindowSink {
  send<E extends EventName>(event: E, payload: Events[E]): void;
}

export interface CoreOptions {
  /** Passed to the SDK's `connect()` (environment, daemon command, client name). */
  connect?: ConnectOptions;
  /** Where the core reports what it does (default: stderr). Never receives secrets. */
  log?: (message: string) => void;
  /** Reconnect backoff (default 200 ms doubling to 5 s). */
  reconnectDelayMs?: { initial: number; max: number };
  /** How long a request waits for its notebook while the daemon is (re)connecting (default 30 s). */
  waitForNotebookMs?: number;
  /** Minimum interval between `notebook:changed` events per notebook (default 16 ms, one frame). */
  notebookEventIntervalMs?: number;
  /**
   * Where windows load widget libraries' files from: prefixed to `labextensions/<key>/<name>/…`.
   * Default '' (relative to the page: the browser host serves them under its token path);
   * the Electron adapter passes its custom scheme.
   */
  labextensionBaseUrl?: string;
  /** Environment and home used to find labextensions (default: this process's). */
  labextensionSearch?: Pick<LabextensionSearch, 'env' | 'homeDir'>;
}

type Request<C extends Channel> = z.output<(typeof Channels)[C]>;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolveFn!: (value: T) => void;
  let rejectFn!: (err: Error) => void;
  const d: Deferred<T> = {
    promise: new Promise<T>((res, rej) => {
      resolveFn = res;
      rejectFn = rej;
    }),
    resolve: (v) => {
      if (d.settled) return;
      d.settled = true;
      resolveFn(v);
    },
    reject: (e) => {
      if (d.settled) return;
      d.settled = true;
      rejectFn(e);
    },
    settled: false,
  };
  d.promise.catch(() => {}); // a rejection nobody waits for is not an error
  return d;
}

class OpenNotebook {
  session: NotebookSession | null = null;
  /** Resolves with the session once (re)opened; rejects when the daemon refuses to open it. */
  opening = deferred<NotebookSession>();
  /** The last replica before a disconnect: what windows have seen, for the resync. */
  previousDoc: A.Doc<NotebookDoc> | null = null;
  readonly windows = new Set<number>();
  pins = 0;
  /** The window that drives front-end-driven widgets (Play) of this notebook (see assignDriver). */
  driver: number | null = null;
  /** Whether this host told the daemon it can drive the notebook's widgets (it has windows on it). */
  offersDriver = false;
  /** Heads of the doc the windows were last told about. */
  heads: A.Heads | null = null;
  /** Heads up to which replica changes are classified in `pending`. */
  collected: A.Heads | null = null;
  readonly pending = new PendingChanges();
  /** Classifying a change failed: the next flush sends everything. */
  resyncAll = false;
  flushQueued = false;
  notebookTimer: NodeJS.Timeout | null = null;
  lastNotebookEvent = 0;
  /** Cells changed since the last `notebook:changed` ('all': send the whole notebook). */
  changedCells: 'all' | Set<string> = 'all';
  disposers: (() => void)[] = [];
  /** Outlives reconnects, so editors keep their versions when the daemon comes back. */
  readonly text = new CellTextAuthority({
    sources: () => (this.session ? getCellSources(this.session.current) : new Map()),
    source: (cellId) => (this.session ? getCellSource(this.session.current, cellId) : undefined),
    apply: (cellId, changes) => {
      if (!this.session) throw new Error('the notebook is reconnecting; the edit will be retried');
      const edits: TextEdit[] = [];
      changes.iterChanges((from, to, _fromB, _toB, inserted) => edits.push({ from, to, insert: inserted.toString() }));
      this.session.editCellSource(cellId, edits);
    },
  });

  constructor(readonly path: string) {}

  detach(): void {
    for (const d of this.disposers.splice(0)) d();
    if (this.notebookTimer) clearTimeout(this.notebookTimer);
    this.notebookTimer = null;
  }
}

interface WindowEntry {
  notebook: OpenNotebook;
  sink: WindowSink;
}

/** The daemon's notion of a notebook's identity: absolute, symlinks resolved. */
export function canonicalNotebookPath(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return resolve(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class QuireCore {
  private client: QuireClient | null = null;
  private readonly notebooks = new Map<string, OpenNotebook>();
  private readonly windows = new Map<number, WindowEntry>();
  private readonly chains = new Map<string, Promise<void>>();
  /** A window's unanswered `input()` (the kernel waits for one answer at a time per window). */
  private readonly pendingInput = new Map<number, { resolve(value: string): void; reject(err: Error): void }>();
  private nextWindowId = 1;
  private connectedFlag = false;
  private reconnecting = false;
  private closed = false;
  private readonly log: (message: string) => void;
  /** The widget-library files windows were offered: the only ones the hosts serve. */
  readonly extensionFiles = new ExtensionFiles();

  constructor(private readonly options: CoreOptions = {}) {
    this.log = options.log ?? ((m) => process.stderr.write(`quire: ${m}\n`));
  }

  /** Connects to the daemon (starting it when allowed). Throws with the reason when it cannot. */
  async start(): Promise<void> {
    if (this.client) return;
    const client = await connect({ clientName: 'quire-main', ...this.options.connect });
    if (this.closed) {
      client.connection.close();
      return;
    }
    this.adopt(client);
    await Promise.all([...this.notebooks.values()].map((nb) => this.openSession(nb)));
  }

  get connected(): boolean {
    return this.connectedFlag;
  }

  // ---- windows ----------------------------------------------------------------------------

  /**
   * Registers a window on a notebook and returns its id. The notebook opens in the background
   * (requests wait for it); a notebook already open in another window shares its replica.
   */
  openWindow(path: string, sink: WindowSink): number {
    if (this.closed) throw new Error('the Quire main process is shutting down');
    const nb = this.notebookFor(path);
    const id = this.nextWindowId++;
    this.windows.set(id, { notebook: nb, sink });
    nb.windows.add(id);
    this.offerDriver(nb);
    this.assignDriver(nb);
    if (!this.connectedFlag && (this.client !== null || this.reconnecting)) safeSend(sink, 'host:status', { connected: false, message: 'Reconnecting to the Quire daemon…' });
    return id;
  }

  /** Unregisters a window; the notebook's replica closes with its last window. */
  closeWindow(windowId: number): void {
    const entry = this.windows.get(windowId);
    if (!entry) return;
    this.windows.delete(windowId);
    entry.notebook.windows.delete(windowId);
    this.pendingInput.get(windowId)?.reject(new Error('the window closed'));
    this.pendingInput.delete(windowId);
    this.offerDriver(entry.notebook);
    this.assignDriver(entry.notebook);
    this.maybeDrop(entry.notebook);
  }

  /**
   * One driver per notebook in this process: the oldest window still open (ids only grow, so
   * every window agrees without asking). When it closes, the next oldest takes over. Windows
   * hear `widgets:driver` only when their role changes; a new window asks with the channel.
   */
  /** A host with no window on a notebook (a retained one) must not be its widget driver. */
  private offerDriver(nb: OpenNotebook): void {
    const session = nb.session;
    const drives = nb.windows.size > 0;
    if (!session || nb.offersDriver === drives) return;
    nb.offersDriver = drives;
    session.setDrivesWidgets(drives).catch((err: unknown) => this.log(`${nb.path}: widget driver: ${messageOf(err)}`));
  }

  private assignDriver(nb: OpenNotebook): void {
    // Across processes the daemon picks one host per notebook; within it, the oldest window.
    const next = nb.session?.isWidgetDriver() && nb.windows.size ? Math.min(...nb.windows) : null;
    if (next === nb.driver) return;
    const previous = nb.driver;
    nb.driver = next;
    for (const [id, driver] of [[previous, false], [next, true]] as const) {
      const entry = id === null ? undefined : this.windows.get(id);
      if (entry) safeSend(entry.sink, 'widgets:driver', { driver });
    }
  }

  hasWindow(windowId: number): boolean {
    return this.windows.has(windowId);
  }

  /** The canonical notebook path of a window (undefined for an unknown window). */
  windowPath(windowId: number): string | undefined {
    return this.windows.get(windowId)?.notebook.path;
  }

  /** Window ids on the notebook at `path`. */
  windowsOf(path: string): number[] {
    return [...(this.notebooks.get(canonicalNotebookPath(path))?.windows ?? [])];
  }

  /** Resolves once the window's notebook is open (rejects with the reason it cannot be). */
  async whenOpen(windowId: number): Promise<NotebookSnapshot> {
    const entry = this.windows.get(windowId);
    if (!entry) throw new Error(`window ${windowId} is not registered`);
    return this.snapshot(entry.notebook, await this.sessionOf(entry.notebook));
  }

  /**
   * Keeps a notebook open with no window (the browser host holds its notebook for its lifetime).
   * Resolves when it is open, rejects with the reason when it cannot be; returns the release.
   */
  async retain(path: string): Promise<() => void> {
    const nb = this.notebookFor(path);
    nb.pins++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      nb.pins--;
      this.maybeDrop(nb);
    };
    try {
      await this.sessionOf(nb);
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  /** The replica serving a window (tests: windows of one notebook share one). */
  replicaOf(windowId: number): NotebookSession | null {
    return this.windows.get(windowId)?.notebook.session ?? null;
  }

  /** Number of notebooks with an open (or opening) replica. */
  get openNotebookCount(): number {
    return this.notebooks.size;
  }

  // ---- the IPC router ---------------------------------------------------------------------

  /** Handles one request from a window. Never throws. */
  async handle(windowId: number, channel: string, payload: unknown): Promise<IpcReply> {
    const entry = this.windows.get(windowId);
    if (!entry) return { ok: false, error: `refused ${String(channel).slice(0, 100)}: the sender is not a registered Quire window` };
    const parsed = parseRequest(channel, payload);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    try {
      const session = await this.sessionOf(entry.notebook);
      return { ok: true, result: await this.dispatch(windowId, entry.notebook, session, parsed.channel, parsed.request) };
    } catch (err) {
      return { ok: false, error: `${parsed.channel}: ${messageOf(err)}` };
    }
  }

  private async dispatch(windowId: number, nb: OpenNotebook, session: NotebookSession, channel: Channel, request: unknown): Promise<ChannelResponse[Channel]> {
    switch (channel) {
      case 'notebook:get':
        return this.snapshot(nb, session);
      case 'comms:get':
        return session.getWidgets();
      case 'widget:update': {
        const r = request as Request<'widget:update'>;
        session.updateWidget(r.id, r.patch);
        return null;
      }
      case 'custom:send': {
        const r = request as Request<'custom:send'>;
        await session.sendCustom(
          r.id,
          r.content,
          (r.buffers ?? []).map((b) => new Uint8Array(Buffer.from(b, 'base64'))),
        );
        return null;
      }
      case 'blob:get': {
        const r = request as Request<'blob:get'>;
        return { base64: Buffer.from(await session.getBlob(r.hash)).toString('base64') };
      }
      case 'blob:put': {
        const r = request as Request<'blob:put'>;
        return { hash: await session.putBlob(new Uint8Array(Buffer.from(r.base64, 'base64'))) };
      }
      case 'widgets:driver':
        // Answered once the notebook is open: the daemon's election needs the session.
        return { driver: nb.driver === windowId };
      case 'cell:execute': {
        const r = request as Request<'cell:execute'>;
        const [result] = await this.executeCells(windowId, session, [r.cellId]);
        return result!;
      }
      case 'cells:execute':
        return this.executeCells(windowId, session, (request as Request<'cells:execute'>).cellIds);
      case 'cell:insert': {
        const r = request as Request<'cell:insert'>;
        const index = Math.min(r.index, session.getCells().length);
        return { cellId: session.insertCell(index, { cellType: r.cellType, source: r.source ?? '' }) };
      }
      case 'cells:delete':
        for (const id of (request as Request<'cells:delete'>).cellIds) session.deleteCell(id);
        return null;
      case 'cell:move': {
        const r = request as Request<'cell:move'>;
        session.moveCell(r.cellId, Math.min(r.toIndex, session.getCells().length - 1));
        return null;
      }
      case 'cells:set-type': {
        const r = request as Request<'cells:set-type'>;
        for (const id of r.cellIds) session.setCellType(id, r.cellType);
        return null;
      }
      case 'cell:split': {
        const r = request as Request<'cell:split'>;
        return { cellId: session.splitCell(r.cellId, r.offset) };
      }
      case 'cells:merge':
        // JupyterLab joins merged cells with a blank line.
        session.mergeCells((request as Request<'cells:merge'>).cellIds, '\n\n');
        return null;
      case 'cells:clear-outputs': {
        const ids = (request as Request<'cells:clear-outputs'>).cellIds;
        if (ids) for (const id of ids) session.clearOutputs(id);
        else session.clearOutputs();
        return null;
      }
      case 'kernel:specs': {
        if (!this.client) throw new Error('the Quire daemon is not reachable (reconnecting)');
        return (await this.client.kernelspecs()).specs;
      }
      case 'widgets:extensions':
        return { extensions: await this.widgetExtensions(session.getKernel().name) };
      case 'kernel:set':
        await session.setKernel((request as Request<'kernel:set'>).name);
        return null;
      case 'input:reply': {
        const pending = this.pendingInput.get(windowId);
        if (!pending) throw new Error('the kernel is not waiting for input from this window');
        this.pendingInput.delete(windowId);
        pending.resolve((request as Request<'input:reply'>).value);
        return null;
      }
      case 'notebook:reload':
        await session.reload();
        return null;
      case 'recovery:resolve':
        await session.resolveRecovery((request as Request<'recovery:resolve'>).keep);
        return null;
      case 'cell:pull': {
        const r = request as Request<'cell:pull'>;
        this.observeText(nb, [r.cellId]);
        return nb.text.pull(r.cellId, r.version);
      }
      case 'cell:push': {
        const r = request as Request<'cell:push'>;
        this.observeText(nb, [r.cellId]);
        const result = nb.text.push(r.cellId, r.version, r.updates);
        if (result.accepted) this.emit(nb, 'cell:text', { cellId: r.cellId, version: r.version, updates: r.updates });
        return result;
      }
      case 'kernel:interrupt':
        await session.interrupt();
        return null;
      case 'kernel:restart':
        await session.restart();
        return null;
      case 'notebook:save': {
        const saved = await session.save(undefined, { overwrite: (request as Request<'notebook:save'>).overwrite === true });
        return { path: saved.path, bytes: saved.bytes };
      }
    }
  }

  /**
   * Runs cells in order; the requests go out together so the kernel queues them (and aborts
   * the rest after an error, as in JupyterLab). `input()` asks the window that ran the cell.
   */
  private async executeCells(windowId: number, session: NotebookSession, cellIds: string[]): Promise<ExecuteResult[]> {
    const known = new Set(session.getCells().map((c) => c.id));
    const unknown = cellIds.find((id) => !known.has(id));
    if (unknown) throw new Error(`no cell ${unknown} in ${basename(session.path)}`);
    const onInput = (request: { prompt: string; password: boolean; cellId: string | null }) =>
      new Promise<string>((resolve, reject) => {
        this.pendingInput.get(windowId)?.reject(new Error('a newer input request replaced this one'));
        this.pendingInput.set(windowId, { resolve, reject });
        const entry = this.windows.get(windowId);
        if (!entry) return reject(new Error('the window that ran the cell is gone'));
        safeSend(entry.sink, 'input:request', { prompt: request.prompt, password: request.password, cellId: request.cellId });
      });
    const results = await Promise.all(cellIds.map((cellId) => session.execute({ cellId }, { onInput })));
    // Once this resolves, getComms()/getNotebook() show what the execution produced.
    await session.confirmSync(10_000).catch(() => {});
    return results;
  }

  /**
   * The widget libraries installed for the notebook's kernel: its kernelspec (found through the
   * daemon, which discovered it) points at its Python prefix. Read on every request — a
   * `pip install` in the kernel's environment shows up without restarting Quire.
   */
  private async widgetExtensions(kernelName: string | null): Promise<ChannelResponse['widgets:extensions']['extensions']> {
    const search: LabextensionSearch = { ...this.options.labextensionSearch };
    const spec = kernelName && this.client ? (await this.client.kernelspecs()).specs.find((s) => s.name === kernelName) : undefined;
    if (spec) {
      search.resourceDir = spec.resourceDir;
      try {
        const argv = (JSON.parse(await readFile(join(spec.resourceDir, 'kernel.json'), 'utf8')) as { argv?: unknown }).argv;
        if (Array.isArray(argv) && typeof argv[0] === 'string') search.kernelExecutable = argv[0];
      } catch {
        // The daemon read it a moment ago; without argv the resource dir's prefix still counts.
      }
    }
    const found = await findWidgetExtensions(labextensionDirs(search), (m) => this.log(`widget libraries: ${m}`));
    this.extensionFiles.offer(found);
    const base = this.options.labextensionBaseUrl ?? '';
    return found.map((ext) => ({
      name: ext.name,
      version: ext.version,
      url: base + extensionUrlPath(ext),
      needs: ext.needs,
      extension: ext.extension,
      ...(ext.style ? { style: ext.style } : {}),
    }));
  }

  /** Sends the windows the cell text that reached the replica other than through their editors. */
  private observeText(nb: OpenNotebook, only?: Iterable<string>): void {
    if (!nb.session) return; // nothing to compare with while reconnecting
    for (const event of nb.text.observe(only)) this.emit(nb, 'cell:text', event);
  }

  /** The notebook as windows see it; with `only`, just those cells (a partial update). */
  private snapshot(nb: OpenNotebook, session: NotebookSession, only?: ReadonlySet<string>): NotebookSnapshot {
    this.observeText(nb, only);
    const doc = session.current;
    const cells = only ? getCellsById(doc, only) : getCells(doc);
    const sourceVersions: Record<string, number> = {};
    for (const c of cells) sourceVersions[c.id] = nb.text.version(c.id) ?? 0;
    return {
      path: session.path,
      title: basename(session.path),
      cells,
      ...(only ? { partial: { order: getCellIds(doc) } } : {}),
      sourceVersions,
      file: session.getFileState(),
      recovery: session.getRecovery(),
      kernel: session.getKernel(),
      kernelspec: getNotebookKernelspec(doc),
      dirty: isDirty(session.current),
    };
  }

  private async sessionOf(nb: OpenNotebook): Promise<NotebookSession> {
    if (nb.session) return nb.session;
    const waitMs = this.options.waitForNotebookMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              this.connectedFlag
                ? `${basename(nb.path)} did not open within ${Math.round(waitMs / 1000)} s`
                : `the Quire daemon is not reachable (reconnecting); try again in a moment`,
            ),
          ),
        waitMs,
      );
    });
    try {
      return await Promise.race([nb.opening.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- notebooks ---------------------------------------------------------------------------

  private notebookFor(path: string): OpenNotebook {
    const key = canonicalNotebookPath(path);
    let nb = this.notebooks.get(key);
    if (!nb) {
      nb = new OpenNotebook(key);
      this.notebooks.set(key, nb);
      if (this.client) void this.openSession(nb);
    }
    return nb;
  }

  /** Runs open/close work for one notebook path strictly in order (the SDK keys rooms by id). */
  private serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  private isLive(nb: OpenNotebook): boolean {
    return this.notebooks.get(nb.path) === nb;
  }

  private openSession(nb: OpenNotebook): Promise<void> {
    return this.serial(nb.path, async () => {
      const client = this.client;
      if (!client || !this.isLive(nb) || nb.session) return;
      let session: NotebookSession;
      try {
        nb.offersDriver = nb.windows.size > 0;
        session = await client.openNotebook(nb.path, { drivesWidgets: nb.offersDriver });
      } catch (err) {
        if (this.client !== client || !client.connection.isOpen) return; // the reconnect retries
        this.log(`cannot open ${nb.path}: ${messageOf(err)}`);
        nb.opening.reject(new Error(`cannot open ${nb.path}: ${messageOf(err)}`));
        return;
      }
      if (!this.isLive(nb) || this.client !== client) {
        // Every window went away (or the connection did) while it opened.
        await session.close().catch(() => {});
        return;
      }
      this.attach(nb, session);
    }).catch((err: unknown) => {
      // Never an unhandled rejection in main: report it to the windows that wait for it.
      this.log(`opening ${nb.path} failed: ${messageOf(err)}`);
      nb.opening.reject(new Error(`cannot open ${nb.path}: ${messageOf(err)}`));
    });
  }

  private attach(nb: OpenNotebook, session: NotebookSession): void {
    nb.session = session;
    nb.heads = A.getHeads(session.current);
    nb.collected = nb.heads;
    nb.pending.take(session.current, () => session.current);
    nb.disposers.push(
      session.onChange((doc, change) => {
        this.collect(nb, doc, change);
        this.queueFlush(nb);
      }),
    );
    nb.disposers.push(session.onWidgetDriver(() => this.assignDriver(nb)));
    nb.disposers.push(
      session.onCustom((msg) =>
        this.emit(nb, 'custom', {
          id: msg.commId,
          content: msg.content,
          buffers: msg.buffers.map((b) => Buffer.from(b).toString('base64')),
        }),
      ),
    );
    const previous = nb.previousDoc;
    nb.previousDoc = null;
    // Same history (the daemon restored its recovery snapshot): what this replica held and
    // the daemon never got — edits made just before or during its crash — is sent again.
    if (previous && session.adopt(previous)) this.log(`${nb.path}: resent local edits to the new daemon`);
    nb.opening.resolve(session);
    this.offerDriver(nb);
    this.assignDriver(nb);
    if (previous) {
      // A resync after a reconnect: the windows' view may be arbitrarily stale.
      this.emit(nb, 'notebook:changed', this.snapshot(nb, session));
      nb.lastNotebookEvent = Date.now();
      this.emit(nb, 'comms:changed', everything(session.current, getCommIds(previous)));
    }
  }

  private maybeDrop(nb: OpenNotebook): void {
    if (nb.windows.size > 0 || nb.pins > 0 || !this.isLive(nb)) return;
    this.notebooks.delete(nb.path);
    nb.detach();
    nb.opening.reject(new Error(`${basename(nb.path)} was closed`));
    const session = nb.session;
    nb.session = null;
    if (session) {
      void this.serial(nb.path, () => session.close()).catch((err) => {
        if (this.client?.connection.isOpen) this.log(`closing ${nb.path}: ${messageOf(err)}`);
      });
    }
  }

  // ---- change fan-out --------------------------------------------------------------------

  /**
   * Classifies one replica change as it happens, from the patches Automerge produced while
   * applying it: diffing again at flush time (over several sync messages, where Automerge has
   * no cached patches) cost the host as much CPU as the sync itself for 1000 new widgets.
   */
  private collect(nb: OpenNotebook, doc: A.Doc<NotebookDoc>, change: ReplicaChange): void {
    if (nb.resyncAll) return;
    try {
      if (change.patches && nb.collected && sameHeads(nb.collected, change.before)) nb.pending.add(doc, change.patches);
      else nb.pending.addBetween(doc, nb.collected ?? change.before, change.after);
      nb.collected = change.after;
    } catch (err) {
      this.log(`diff failed for ${nb.path}: ${messageOf(err)}`);
      nb.resyncAll = true;
    }
  }

  private queueFlush(nb: OpenNotebook): void {
    if (nb.flushQueued) return;
    nb.flushQueued = true;
    setImmediate(() => {
      nb.flushQueued = false;
      this.flush(nb);
    });
  }

  private flush(nb: OpenNotebook): void {
    const session = nb.session;
    if (!session || !this.isLive(nb)) return;
    const doc = session.current;
    const heads = A.getHeads(doc);
    if (nb.heads === null) {
      nb.heads = heads;
      return;
    }
    if (sameHeads(nb.heads, heads)) return;
    const seenHeads = nb.heads;
    const seen = () => A.view(doc, seenHeads);
    let changes;
    try {
      if (nb.resyncAll) throw new Error('a change could not be classified');
      if (!nb.collected || !sameHeads(nb.collected, heads)) nb.pending.addBetween(doc, nb.collected ?? seenHeads, heads);
      changes = nb.pending.take(doc, seen);
    } catch (err) {
      // Never lose a change: fall back to a full resync of this notebook's windows.
      this.log(`diff failed for ${nb.path}: ${messageOf(err)}`);
      nb.pending.take(doc, seen);
      changes = { comms: everything(doc, getCommIds(seen())), notebook: true, cells: 'all' as const };
    }
    nb.resyncAll = false;
    nb.collected = heads;
    nb.heads = heads;
    if (changes.comms) {
      traceHop('host:event-ready');
      this.emit(nb, 'comms:changed', changes.comms);
    }
    if (changes.notebook) {
      // Only cells whose content changed can have new text; 'all' when cells came or went.
      this.observeText(nb, changes.cells === 'all' ? undefined : changes.cells);
      if (changes.cells === 'all' || nb.changedCells === 'all') nb.changedCells = 'all';
      else for (const id of changes.cells) nb.changedCells.add(id);
      this.scheduleNotebookEvent(nb);
    }
  }

  private scheduleNotebookEvent(nb: OpenNotebook): void {
    if (nb.notebookTimer) return;
    const interval = this.options.notebookEventIntervalMs ?? 16;
    const wait = Math.max(0, nb.lastNotebookEvent + interval - Date.now());
    nb.notebookTimer = setTimeout(() => {
      nb.notebookTimer = null;
      // Comms first: an output may show a widget whose model arrived in the same change.
      this.flush(nb);
      const session = nb.session;
      if (!session || !this.isLive(nb)) return;
      nb.lastNotebookEvent = Date.now();
      const changed = nb.changedCells;
      nb.changedCells = new Set();
      // Only the cells that changed: a keystroke or an output line in a 5 MB notebook must not
      // send every window the whole notebook.
      this.emit(nb, 'notebook:changed', changed === 'all' ? this.snapshot(nb, session) : this.snapshot(nb, session, changed));
    }, wait);
  }

  private emit<E extends EventName>(nb: OpenNotebook, event: E, payload: Events[E]): void {
    for (const id of nb.windows) {
      const entry = this.windows.get(id);
      if (entry) safeSend(entry.sink, event, payload);
    }
  }

  private broadcast<E extends EventName>(event: E, payload: Events[E]): void {
    for (const entry of this.windows.values()) safeSend(entry.sink, event, payload);
  }

  // ---- the daemon connection --------------------------------------------------------------

  private adopt(client: QuireClient): void {
    this.client = client;
    this.connectedFlag = true;
    client.onDisconnect((reason) => this.onDisconnect(client, reason));
  }

  private onDisconnect(client: QuireClient, reason: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    this.connectedFlag = false;
    this.log(`lost the daemon connection (${reason.message}); reconnecting`);
    for (const nb of this.notebooks.values()) {
      nb.detach();
      if (nb.session) nb.previousDoc = nb.session.current;
      nb.session = null;
      nb.heads = null;
      nb.collected = null;
      nb.changedCells = 'all';
      if (nb.opening.settled) nb.opening = deferred();
    }
    this.broadcast('host:status', { connected: false, message: `Lost the connection to the Quire daemon (${reason.message}). Reconnecting…` });
    // No daemon, no driver: a Play must not run on state nobody syncs.
    for (const nb of this.notebooks.values()) {
      nb.offersDriver = false;
      this.assignDriver(nb);
    }
    void this.reconnect().catch((err: unknown) => this.log(`reconnecting failed: ${messageOf(err)}`));
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      const { initial, max } = this.options.reconnectDelayMs ?? { initial: 200, max: 5000 };
      let delay = initial;
      let client: QuireClient | null = null;
      let attempt = 0;
      while (!this.closed && !client) {
        await sleep(delay);
        if (this.closed) return;
        attempt++;
        try {
          client = await connect({ clientName: 'quire-main', ...this.options.connect });
        } catch (err) {
          if (attempt === 1 || attempt % 10 === 0) this.log(`reconnect attempt ${attempt} failed: ${messageOf(err)}`);
          delay = Math.min(delay * 2, max);
        }
      }
      if (!client) return;
      if (this.closed) {
        client.connection.close();
        return;
      }
      this.adopt(client);
      this.connectedFlag = false; // not until every notebook is back
      await Promise.all([...this.notebooks.values()].map((nb) => this.openSession(nb)));
      if (this.client !== client || !client.connection.isOpen) return; // dropped again; that reconnect reports
      this.connectedFlag = true;
      this.log(`reconnected to the daemon after ${attempt} attempt(s)`);
      this.broadcast('host:status', { connected: true });
    } finally {
      this.reconnecting = false;
      // A drop that happened while we were reopening needs its own round.
      if (!this.closed && !this.client) void this.reconnect().catch((err: unknown) => this.log(`reconnecting failed: ${messageOf(err)}`));
    }
  }

  /** Closes every replica (kernels keep running in the daemon) and the daemon connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sessions: NotebookSession[] = [];
    for (const nb of this.notebooks.values()) {
      nb.detach();
      if (nb.session) sessions.push(nb.session);
      nb.session = null;
    }
    this.notebooks.clear();
    this.windows.clear();
    // Let pending opens/closes finish, then close what is left (bounded: the daemon may be gone).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.chains.values(), ...sessions.map((s) => s.close())]),
      new Promise<void>((r) => (timer = setTimeout(r, 5000))),
    ]);
    clearTimeout(timer);
    this.client?.connection.close();
    this.client = null;
    this.connectedFlag = false;
  }
}

function safeSend<E extends EventName>(sink: WindowSink, event: E, payload: Events[E]): void {
  try {
    sink.send(event, payload);
  } catch {
    // A window that is closing; it unregisters itself.
  }
}
