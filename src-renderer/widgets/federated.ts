/**
 * Third-party widget libraries from the kernel environment's JupyterLab *federated*
 * extensions (how bqplot, ipyleaflet, ipyevents, … ship their front end), offline.
 *
 * Each extension is a webpack module-federation container: its remoteEntry script sets
 * `window._JUPYTERLAB[name]` = `{ init(shareScope), get(module) }`. JupyterLab and Voilà are
 * webpack builds and hand containers webpack's own share scope; Quire's renderer is a Vite
 * build, so this file builds that share scope by hand from the modules Quire bundles — the
 * singletons a widget library must share with the manager (@jupyter-widgets/base above all:
 * its WidgetModel and the registry token must be Quire's). Then it gets `./extension`,
 * activates its JupyterLab plugin(s) with a minimal app and a widget registry that records
 * `registerWidget({ name, version, exports })`, and resolves classes from those exports.
 *
 * No library does this outside a webpack/JupyterLab app (Voilà's loader relies on webpack's
 * `__webpack_share_scopes__`), so it is written here; it follows the container protocol, not
 * Voilà's code. Files come from the host (src-main/core/labextensions.ts decides which);
 * the renderer's CSP allows them ('self' for the browser host, `quire-ext:` for Electron).
 *
 * Like anywidget code, a library runs in the window's realm with full access to it: install
 * only libraries you trust (the same trust JupyterLab asks for).
 */
import * as base from '@jupyter-widgets/base';
import { version as baseVersion } from '@jupyter-widgets/base/package.json';
import * as controls from '@jupyter-widgets/controls';
import { version as controlsVersion } from '@jupyter-widgets/controls/package.json';
import * as output from '@jupyter-widgets/output';
import { version as outputVersion } from '@jupyter-widgets/output/package.json';
import * as messaging from '@lumino/messaging';
import { version as messagingVersion } from '@lumino/messaging/package.json';
import * as luminoWidgets from '@lumino/widgets';
import { version as luminoWidgetsVersion } from '@lumino/widgets/package.json';
import type { QuireApi, WidgetExtensionInfo } from '../../src-shared/ipc/contract';

/** Packages Quire provides to widget libraries: name → [package version, module]. */
export const SHARED_MODULES: Record<string, [string, unknown]> = {
  '@jupyter-widgets/base': [baseVersion, base],
  '@jupyter-widgets/controls': [controlsVersion, controls],
  '@jupyter-widgets/output': [outputVersion, output],
  '@lumino/widgets': [luminoWidgetsVersion, luminoWidgets],
  '@lumino/messaging': [messagingVersion, messaging],
};

interface ShareEntry {
  get: () => Promise<() => unknown>;
  from: string;
  eager: boolean;
  loaded?: 1;
}
type ShareScope = Record<string, Record<string, ShareEntry>>;

interface Container {
  init(scope: ShareScope): Promise<void> | void;
  get(module: string): Promise<() => unknown>;
}

interface Plugin {
  id?: string;
  activate: (app: unknown, ...services: unknown[]) => unknown;
  requires?: unknown[];
  optional?: unknown[];
}

export interface RegisteredWidgets {
  name: string;
  version: string;
  exports: Record<string, unknown> | (() => Record<string, unknown> | Promise<Record<string, unknown>>);
}

declare global {
  interface Window {
    _JUPYTERLAB?: Record<string, Container>;
  }
}

/** One share scope per window: containers also share with each other (bqplot ↔ bqscales). */
const shareScope: ShareScope = {};
for (const [name, [version, module]] of Object.entries(SHARED_MODULES)) {
  shareScope[name] = { [version]: { get: () => Promise.resolve(() => module), from: 'quire', eager: false, loaded: 1 } };
}

/** What plugins registered, by module name (`registerWidget`). */
const registered = new Map<string, RegisteredWidgets>();
/** Extension loads by name; a failed one stays failed until the window reloads. */
const loads = new Map<string, Promise<void>>();

const REGISTRY_TOKEN = '@jupyter-widgets/base:IJupyterWidgetRegistry';
const registry: base.IJupyterWidgetRegistry = {
  registerWidget: (data) => void registered.set(data.name, data as RegisteredWidgets),
};

export class LibraryError extends Error {
  override name = 'LibraryError';
}

function tokenName(token: unknown): string {
  return typeof token === 'object' && token !== null && 'name' in token ? String((token as { name: unknown }).name) : String(token);
}

function loadScript(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => reject(new LibraryError(`its script could not be loaded (${url.replace(/^.*labextensions\/[0-9a-f]+\//, '')})`));
    document.head.append(script);
  });
}

/** Activates one JupyterLab plugin with the widget registry as its only service. */
async function activate(plugin: Plugin, app: unknown): Promise<void> {
  const services = (plugin.requires ?? []).map((token) => {
    if (token === base.IJupyterWidgetRegistry || tokenName(token) === REGISTRY_TOKEN) return registry;
    throw new LibraryError(`its plugin ${plugin.id ?? ''} needs ${tokenName(token)}, which only JupyterLab provides`);
  });
  const optional = (plugin.optional ?? []).map((token) => (token === base.IJupyterWidgetRegistry || tokenName(token) === REGISTRY_TOKEN ? registry : null));
  await plugin.activate(app, ...services, ...optional);
}

async function loadExtension(ext: WidgetExtensionInfo): Promise<void> {
  const missing = ext.needs.filter((dep) => !SHARED_MODULES[dep]);
  if (missing.length) throw new LibraryError(`${ext.name} ${ext.version} needs ${missing.join(', ')} from its host, which Quire does not provide`);
  await loadScript(ext.url);
  const container = window._JUPYTERLAB?.[ext.name];
  if (!container) throw new LibraryError(`${ext.name}'s script did not define its module-federation container`);
  await container.init(shareScope);
  if (ext.style) {
    // Its CSS (style-loader modules inject <style> elements when run); a failure is not fatal.
    await container
      .get(ext.style)
      .then((factory) => factory())
      .catch((err: Error) => console.warn(`Quire widgets: ${ext.name} styles: ${err.message}`));
  }
  const mod = (await container.get(ext.extension))() as { default?: unknown };
  const exported = mod.default ?? mod;
  const plugins = (Array.isArray(exported) ? exported : [exported]) as Plugin[];
  // A minimal stand-in for JupyterLab's application: widget plugins only register widgets.
  const app = { started: Promise.resolve(), restored: Promise.resolve() };
  for (const plugin of plugins) {
    if (typeof plugin?.activate !== 'function') continue;
    await activate(plugin, app);
  }
}

function ensureLoaded(ext: WidgetExtensionInfo): Promise<void> {
  let load = loads.get(ext.name);
  if (!load) {
    load = loadExtension(ext).catch((err: unknown) => {
      throw err instanceof LibraryError ? err : new LibraryError(`${ext.name} ${ext.version} failed to load: ${(err as Error)?.message ?? String(err)}`);
    });
    loads.set(ext.name, load);
  }
  return load;
}

/**
 * The exports of widget module `moduleName`, from the installed library that registers it. The
 * extension of the same name is tried first (the usual case); otherwise every other installed
 * widget library is loaded once, since a package may register modules under other names.
 */
export async function loadLibraryModule(api: QuireApi, moduleName: string, moduleVersion: string): Promise<{ version: string; exports: Record<string, unknown> }> {
  if (!registered.has(moduleName)) {
    const extensions = await api.widgetExtensions();
    const own = extensions.filter((e) => e.name === moduleName);
    const failures: string[] = [];
    for (const ext of own.length ? own : extensions) {
      try {
        await ensureLoaded(ext);
      } catch (err) {
        failures.push((err as Error).message);
      }
      if (registered.has(moduleName)) break;
    }
    if (!registered.has(moduleName)) {
      if (failures.length && own.length) throw new LibraryError(`the installed widget library could not be used: ${failures.join('; ')}`);
      const seen = extensions.map((e) => e.name).join(', ') || 'none';
      throw new LibraryError(
        `no widget library installed in the kernel's environment provides module ${moduleName}` +
          ` (widget libraries found: ${seen}${failures.length ? `; failed: ${failures.join('; ')}` : ''}).` +
          ' Install its Python package where the kernel runs, then reload this window.',
      );
    }
  }
  const entry = registered.get(moduleName)!;
  const exports = typeof entry.exports === 'function' ? await entry.exports() : entry.exports;
  return { version: entry.version, exports };
}
