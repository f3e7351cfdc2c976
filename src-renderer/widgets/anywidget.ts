/**
 * anywidget (https://anywidget.dev) in a Quire window: the widget's front-end code arrives as
 * state (`_esm`, and `_css`), not as an installed package. anywidget's own front end is built
 * for JupyterLab's extension system and is not an npm dependency here, so this file is the
 * small AnyModel/AnyView pair its protocol needs, on the doc-backed manager.
 *
 * Loading: `_esm` is imported as a module from a blob: URL (the renderer CSP allows `blob:` in
 * script-src for this, and nothing else new). A URL in `_esm` (anywidget allows one) is not
 * fetched: windows work offline, and the CSP would refuse it anyway.
 *
 * The module sees only anywidget's model API (`get`, `set`, `save_changes`, `on`, `off`,
 * `send`, `widget_manager.get_model`) and the element it renders into — not the preload's
 * `window.quire`, the manager, or other models' comms. That is an API boundary, not a
 * sandbox: the module runs in the window's realm, same origin, so it can still reach any
 * global (`window.quire` included) and the whole DOM, exactly like notebook HTML output
 * with scripts would. Only run notebooks whose widgets you trust; an iframe/realm sandbox
 * would be the next step if that is not enough.
 */
import { DOMWidgetModel, DOMWidgetView, type WidgetModel } from '@jupyter-widgets/base';
import { placeholderElement } from './placeholder';

export const ANYWIDGET_MODULE = 'anywidget';
/** The anywidget Python package versions this front end speaks for (protocol of 0.9+). */
export const ANYWIDGET_VERSION = '0.11.0';

type Callback = (...args: unknown[]) => void;
type Cleanup = (() => void | Promise<void>) | void;

/** What `_esm`'s default export (or the module itself, for older widgets) may provide. */
interface AnyWidgetModule {
  initialize?: (props: { model: AnyModelApi; experimental: Record<string, never> }) => Cleanup | Promise<Cleanup>;
  render?: (props: { model: AnyModelApi; el: HTMLElement; experimental: Record<string, never> }) => Cleanup | Promise<Cleanup>;
}

export interface AnyModelApi {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(name: string, callback: Callback): void;
  off(name?: string | null, callback?: Callback | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
  widget_manager: { get_model(id: string): Promise<AnyModelApi> };
}

/** Loads `_esm` as a module. Each load gets a fresh URL, so a changed `_esm` is a new module. */
async function importEsm(source: string): Promise<AnyWidgetModule> {
  if (/^\s*https?:\/\//i.test(source)) {
    throw new Error('this anywidget loads its code from a URL; Quire only runs code carried in the notebook (_esm as source)');
  }
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    const mod = (await import(/* @vite-ignore */ url)) as { default?: AnyWidgetModule } & AnyWidgetModule;
    return mod.default && (mod.default.render || mod.default.initialize) ? mod.default : mod;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * The model API handed to widget code. Listeners it adds are remembered per scope (the
 * module's `initialize`, or one `render`) so they can be removed when that scope ends —
 * the widget's own cleanup functions often forget to.
 */
function modelApi(model: WidgetModel, scope: Set<[string, Callback]>): AnyModelApi {
  return {
    get: (name) => model.get(name),
    set: (name, value) => void model.set(name, value),
    save_changes: () => model.save_changes(),
    on: (name, callback) => {
      model.on(name, callback);
      scope.add([name, callback]);
    },
    off: (name, callback) => {
      model.off(name ?? undefined, callback ?? undefined);
      for (const entry of [...scope]) {
        if ((!name || entry[0] === name) && (!callback || entry[1] === callback)) scope.delete(entry);
      }
    },
    send: (content, callbacks, buffers) => model.send(content as never, callbacks as never, buffers),
    widget_manager: {
      get_model: async (id) => modelApi((await model.widget_manager.get_model(id)) as WidgetModel, scope),
    },
  };
}

function release(model: WidgetModel, scope: Set<[string, Callback]>): void {
  for (const [name, callback] of scope) model.off(name, callback);
  scope.clear();
}

async function runCleanup(cleanup: Cleanup): Promise<void> {
  try {
    if (typeof cleanup === 'function') await cleanup();
  } catch (err) {
    console.error('Quire widgets: an anywidget cleanup failed:', err);
  }
}

export class AnyModel extends DOMWidgetModel {
  // Backbone calls initialize() from its constructor, before class field initializers would
  // run (and they would then overwrite what it set): these are declared, and set there.
  /** The current `_esm`'s module, initialized; views wait on it. */
  declare esmModule: Promise<AnyWidgetModule>;
  private declare initScope: Set<[string, Callback]>;
  private declare initCleanup: Cleanup;
  private declare styleEl: HTMLStyleElement | undefined;

  override defaults(): Backbone.ObjectHash {
    return { ...super.defaults(), _model_name: 'AnyModel', _model_module: ANYWIDGET_MODULE, _view_name: 'AnyView', _view_module: ANYWIDGET_MODULE, _esm: '', _css: '' };
  }

  override initialize(attributes: Parameters<DOMWidgetModel['initialize']>[0], options: Parameters<DOMWidgetModel['initialize']>[1]): void {
    super.initialize(attributes, options);
    this.esmModule = Promise.resolve({});
    this.initScope = new Set();
    this.applyCss();
    this.loadModule();
    this.on('change:_css', () => this.applyCss());
    // A new `_esm` replaces the module: the old one is torn down, views render again.
    this.on('change:_esm', () => {
      this.loadModule();
      this.trigger('quire:esm');
    });
    this.once('destroy', () => {
      this.styleEl?.remove();
      void this.teardown();
    });
  }

  private loadModule(): void {
    const previous = this.esmModule;
    this.esmModule = previous
      .catch(() => ({}))
      .then(async () => {
        await this.teardown();
        const mod = await importEsm(String(this.get('_esm') ?? ''));
        if (mod.initialize) this.initCleanup = await mod.initialize({ model: modelApi(this, this.initScope), experimental: {} });
        return mod;
      });
    this.esmModule.catch((err: Error) => console.error(`Quire widgets: anywidget ${this.model_id}: ${err.message}`));
  }

  private async teardown(): Promise<void> {
    const cleanup = this.initCleanup;
    this.initCleanup = undefined;
    release(this, this.initScope);
    await runCleanup(cleanup);
  }

  /** One style element per model: replaced on `_css` change, removed with the model. */
  private applyCss(): void {
    const css = String(this.get('_css') ?? '');
    if (!css || /^\s*https?:\/\//i.test(css)) {
      this.styleEl?.remove();
      this.styleEl = undefined;
      return;
    }
    this.styleEl ??= document.head.appendChild(Object.assign(document.createElement('style'), { className: 'quire-anywidget-css' }));
    this.styleEl.dataset.modelId = this.model_id;
    this.styleEl.textContent = css;
  }
}

export class AnyView extends DOMWidgetView {
  // Set in render(), not as field initializers (see AnyModel).
  private declare scope: Set<[string, Callback]>;
  private declare cleanup: Cleanup;
  private declare generation: number;

  override render(): void {
    super.render();
    this.scope = new Set();
    this.generation = 0;
    this.listenTo(this.model, 'quire:esm', () => void this.renderModule());
    void this.renderModule();
  }

  private async renderModule(): Promise<void> {
    const generation = ++this.generation;
    await this.unmount();
    this.el.replaceChildren();
    try {
      const mod = await (this.model as unknown as AnyModel).esmModule;
      if (generation !== this.generation) return;
      if (!mod.render) return;
      const cleanup = await mod.render({ model: modelApi(this.model, this.scope), el: this.el, experimental: {} });
      if (generation !== this.generation) await runCleanup(cleanup);
      else this.cleanup = cleanup;
    } catch (err) {
      if (generation !== this.generation) return;
      this.el.replaceChildren(placeholderElement('anywidget could not be rendered', (err as Error).message ?? String(err), 'unavailable'));
      console.error(`Quire widgets: anywidget ${this.model.model_id} render:`, err);
    }
  }

  private async unmount(): Promise<void> {
    const cleanup = this.cleanup;
    this.cleanup = undefined;
    release(this.model, this.scope);
    await runCleanup(cleanup);
  }

  override remove(): this {
    this.generation++;
    void this.unmount();
    return super.remove();
  }
}
