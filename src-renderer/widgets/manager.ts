/**
 * A widget manager whose source of truth is the notebook's synced doc, not a kernel comm.
 *
 * Built on @jupyter-widgets/base-manager's ManagerBase (model registry, `new_model`,
 * `_make_model` with `_deserialize_state`, `create_view`, serializers): what is ours is where
 * state comes from and goes to. Models are created from `getComms()` records in `seq` order
 * (so a model exists before the models that reference it), then follow `onCommsChanged`;
 * each model's comm is a DocComm (see doc-comm.ts) that writes user edits back through
 * `updateWidget`.
 */
import { uuid, type IClassicComm, type WidgetModel, type WidgetView } from '@jupyter-widgets/base';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import type { CommsChange, CustomEvent, QuireApi, Unsubscribe } from '../../src-shared/ipc/contract';
import type { CommRecord } from '../../src-shared/schema/notebook-doc';
import { BlobFetcher, base64ToDataView, containsBlobRef } from './blobs';
import { DocComm } from './doc-comm';
import { katexTypesetter } from './latex';
import { loadLibraryModule } from './federated';
import { isBundledModule, loadBundledClass, versionMatches, WidgetModuleError } from './modules';
import { createUnavailableModel, createUnavailableView } from './placeholder';

interface Entry {
  comm: DocComm;
  model: Promise<WidgetModel>;
}

type ModelOptions = Parameters<ManagerBase['_make_model']>[0];

export class DocWidgetManager extends ManagerBase {
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, Set<(entry: Entry) => void>>();
  private readonly unsubscribe: Unsubscribe[] = [];
  private readonly blobs: BlobFetcher;
  private disposed = false;
  private wasDisconnected = false;
  private driver = false;
  private readonly driverListeners = new Set<() => void>();

  constructor(private readonly api: QuireApi) {
    super();
    this.blobs = new BlobFetcher((hash) => api.getBlob(hash));
  }

  /** Read by the controls' DescriptionView to typeset TeX (see latex.ts). */
  readonly _rendermime = { latexTypesetter: katexTypesetter };

  /**
   * Subscribes to the doc, then builds every model from `getComms()`. Changes that arrive
   * while the snapshot is loading are replayed after it, in order.
   */
  async start(): Promise<void> {
    let queue: CommsChange[] | null = [];
    this.unsubscribe.push(
      this.api.onCommsChanged((change) => {
        if (queue) queue.push(change);
        else this.applyChange(change);
      }),
      this.api.onCustom((message) => this.deliverCustom(message)),
      this.api.onWidgetDriver(({ driver }) => this.setDriver(driver)),
      this.api.onHostStatus((status) => {
        // After a reconnect, catch up with the doc even if main sent no change events.
        if (status.connected && this.wasDisconnected) {
          void this.resync();
          void this.queryDriver();
        }
        this.wasDisconnected = !status.connected;
      }),
    );
    void this.queryDriver();
    // The first read can fail while main is still reaching the daemon: retry, or widgets
    // that never change again would stay missing.
    for (let attempt = 0; ; attempt++) {
      try {
        const records = await this.api.getComms();
        if (this.disposed) return;
        this.upsert(records);
        for (const change of queue) this.applyChange(change);
        break;
      } catch (err) {
        if (this.disposed || attempt >= 20) {
          console.error(`Quire widgets: could not read the widgets: ${(err as Error).message}`);
          break;
        }
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5000)));
      }
    }
    queue = null;
    await Promise.allSettled([...this.entries.values()].map((e) => e.model));
  }

  /** The model for `id` if the doc has it (possibly still being built). */
  modelPromise(id: string): Promise<WidgetModel> | undefined {
    return this.entries.get(id)?.model;
  }

  /** Calls `listener` once, when a model with this id is created. */
  onModelAdded(id: string, listener: (model: Promise<WidgetModel>) => void): Unsubscribe {
    const set = this.watchers.get(id) ?? new Set();
    this.watchers.set(id, set);
    const wrapped = (entry: Entry) => listener(entry.model);
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
      if (set.size === 0) this.watchers.delete(id);
    };
  }

  /** True while `model` is the live model for `id` (not removed or replaced). */
  isCurrent(id: string, model: WidgetModel): boolean {
    const comm = this.entries.get(id)?.comm;
    return comm !== undefined && comm.model === model;
  }

  /** True in the one window of this notebook that runs front-end-driven widgets (Play). */
  get isDriver(): boolean {
    return this.driver;
  }

  onDriverChange(listener: () => void): Unsubscribe {
    this.driverListeners.add(listener);
    return () => this.driverListeners.delete(listener);
  }

  private setDriver(driver: boolean): void {
    if (driver === this.driver || this.disposed) return;
    this.driver = driver;
    for (const l of [...this.driverListeners]) l();
  }

  private async queryDriver(): Promise<void> {
    try {
      this.setDriver(await this.api.isWidgetDriver());
    } catch (err) {
      console.error(`Quire widgets: could not ask whether this window drives Play widgets: ${(err as Error).message}`);
    }
  }

  /** Sends every pending local edit now. */
  flush(): void {
    for (const { comm } of this.entries.values()) comm.flush();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.flush();
    for (const off of this.unsubscribe.splice(0)) off();
    this.driverListeners.clear();
    this.watchers.clear();
    // Closing a model closes its DocComm, which sends any final edit and never touches
    // the kernel's comm; the models' views are removed with them.
    void this.clear_state();
    this.entries.clear();
  }

  // ---- doc → models ---------------------------------------------------------------------

  /** Diffs a fresh `getComms()` against the models: creates, updates changed keys, removes. */
  async resync(): Promise<void> {
    try {
      const records = await this.api.getComms();
      const present = new Set(records.map((r) => r.id));
      this.applyChange({ upserted: records, removed: [...this.entries.keys()].filter((id) => !present.has(id)) });
    } catch (err) {
      console.error(`Quire widgets: could not reload widgets after reconnecting: ${(err as Error).message}`);
    }
  }

  private applyChange(change: CommsChange): void {
    if (this.disposed) return;
    for (const id of change.removed) this.remove(id);
    this.upsert(change.upserted);
  }

  private upsert(records: CommRecord[]): void {
    const sorted = [...records].sort((a, b) => a.seq - b.seq);
    for (const record of sorted) {
      const entry = this.entries.get(record.id);
      if (entry) entry.comm.applyDocState(structuredClone(record.state));
      else this.create(record);
    }
  }

  private create(record: CommRecord): void {
    const state = structuredClone(record.state);
    const comm = new DocComm(record.id, record.targetName, this.api, this.blobs, structuredClone(record.state));
    // new_model registers the model promise synchronously (before its first await), so
    // models created later in this loop can already resolve references to this one.
    const model = this.new_model(
      {
        model_id: record.id,
        model_name: record.modelName,
        model_module: record.modelModule,
        model_module_version: record.modelModuleVersion,
        comm,
      },
      state,
    );
    const entry: Entry = { comm, model };
    this.entries.set(record.id, entry);
    model.then(
      (m) => {
        comm.model = m;
      },
      (err: Error) => console.error(`Quire widgets: model ${record.id} (${record.modelName}) failed: ${err.message}`),
    );
    const watchers = this.watchers.get(record.id);
    if (watchers) {
      this.watchers.delete(record.id);
      for (const w of watchers) w(entry);
    }
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    entry.comm.markRemoved();
    void entry.model
      .then(async (model) => {
        await entry.comm.settled();
        // As on a kernel comm_close: ManagerBase forgets the model ('comm:close') and
        // close(true) destroys it and removes its views.
        model._handle_comm_closed({} as never);
        await model.close(true);
        const again = this.entries.get(id);
        if (again) this.register_model(id, again.model); // re-created under the same id meanwhile
      })
      .catch((err: Error) => console.error(`Quire widgets: closing ${id}: ${err.message}`));
  }

  private deliverCustom(message: CustomEvent): void {
    const entry = this.entries.get(message.id);
    if (!entry) return;
    entry.comm.deliverCustom(message.content, message.buffers.map(base64ToDataView));
  }

  // ---- ManagerBase hooks ----------------------------------------------------------------

  /**
   * Bundled modules (ipywidgets, anywidget) as before; any other module comes from a widget
   * library installed in the kernel's environment (federated.ts). Failing that, the caller
   * shows a placeholder with this error's reason.
   */
  protected async loadClass(className: string, moduleName: string, moduleVersion: string): Promise<typeof WidgetModel | typeof WidgetView> {
    if (isBundledModule(moduleName)) return (await loadBundledClass(className, moduleName, moduleVersion)) as typeof WidgetModel | typeof WidgetView;
    const library = await loadLibraryModule(this.api, moduleName, moduleVersion);
    // Major versions, as for bundled modules (JupyterLab checks a semver range; a major is what breaks).
    if (!versionMatches(moduleVersion, library.version)) {
      throw new WidgetModuleError(`the installed ${moduleName} front end is version ${library.version}; this widget needs ${moduleVersion}`);
    }
    const cls = library.exports[className];
    if (typeof cls !== 'function') throw new WidgetModuleError(`${moduleName} ${library.version} has no class ${className}`);
    return cls as typeof WidgetModel | typeof WidgetView;
  }

  /** An unknown module or class gives a placeholder model naming what is missing. */
  protected override async loadModelClass(className: string, moduleName: string, moduleVersion: string): Promise<typeof WidgetModel> {
    try {
      return (await this.loadClass(className, moduleName, moduleVersion)) as typeof WidgetModel;
    } catch (err) {
      console.warn(`Quire widgets: ${(err as Error).message}`);
      return createUnavailableModel(moduleName, moduleVersion, className, err);
    }
  }

  protected override async loadViewClass(className: string, moduleName: string, moduleVersion: string): Promise<typeof WidgetView> {
    try {
      return (await this.loadClass(className, moduleName, moduleVersion)) as typeof WidgetView;
    } catch (err) {
      console.warn(`Quire widgets: ${(err as Error).message}`);
      return createUnavailableView(moduleName, moduleVersion, className, err);
    }
  }

  /** Doc state may hold blob placeholders: fetch the bytes first, as DataViews. */
  override async _make_model(options: ModelOptions, serializedState: Record<string, unknown> = {}): Promise<WidgetModel> {
    const state: Record<string, unknown> = {};
    await Promise.all(
      Object.entries(serializedState).map(async ([key, value]) => {
        if (!containsBlobRef(value)) {
          state[key] = value;
          return;
        }
        try {
          state[key] = await this.blobs.resolve(value);
        } catch (err) {
          // Leave the trait at its default rather than losing the whole widget.
          console.error(`Quire widgets: ${options.model_id}.${key}: ${(err as Error).message}`);
        }
      }),
    );
    return super._make_model(options, state);
  }

  /**
   * Never a kernel: ManagerBase asks for a comm only when a widget is created from the
   * front end (`new_widget`) or state is fetched from a kernel, which Quire does not do.
   * Such a model gets a DocComm the doc does not know; its edits are rejected by main.
   */
  protected async _create_comm(targetName: string, modelId?: string): Promise<IClassicComm> {
    return new DocComm(modelId ?? uuid(), targetName, this.api, this.blobs);
  }

  /** The "live comms" are the doc's. */
  protected async _get_comm_info(): Promise<Record<string, { target_name: string }>> {
    const info: Record<string, { target_name: string }> = {};
    for (const [id, { comm }] of this.entries) info[id] = { target_name: comm.target_name };
    return info;
  }
}
