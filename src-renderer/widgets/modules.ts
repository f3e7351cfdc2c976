/**
 * The widget modules a Quire window can load: the official ipywidgets 8 renderers, bundled
 * with the renderer (no CDN, no require.js: a window must work offline and under a strict
 * CSP). ManagerBase leaves `loadClass` to subclasses; this table is that lookup.
 */
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { OutputModel } from '@jupyter-widgets/output';
import { QuireOutputView } from './output-view';
import { ANYWIDGET_MODULE, ANYWIDGET_VERSION, AnyModel, AnyView } from './anywidget';
import { QuireDirectionalLinkModel, QuireLinkModel } from './link-models';
import { QuirePlayModel, QuirePlayView } from './play-model';
import { SafeHTMLMathView, SafeHTMLView } from './safe-html-views';
import { QUIRE_WIDGETS_MODULE, UnavailableWidgetView } from './placeholder';

interface BundledModule {
  /** Spec version the package implements (what kernels put in `_model_module_version`). */
  version: string;
  /** What a user would install to get a renderer for another major version. */
  note: string;
  exports: Record<string, unknown>;
}

const BUNDLED: Record<string, BundledModule> = {
  '@jupyter-widgets/base': { version: base.JUPYTER_WIDGETS_VERSION, note: 'ipywidgets 8', exports: base },
  '@jupyter-widgets/controls': {
    version: controls.JUPYTER_CONTROLS_VERSION,
    note: 'ipywidgets 8',
    // HTML values are sanitized (see safe-html-views.ts); Play and jslink/jsdlink have one
    // driver per notebook (play-model.ts, link-models.ts).
    exports: {
      ...controls,
      HTMLView: SafeHTMLView,
      HTMLMathView: SafeHTMLMathView,
      PlayModel: QuirePlayModel,
      PlayView: QuirePlayView,
      LinkModel: QuireLinkModel,
      DirectionalLinkModel: QuireDirectionalLinkModel,
    },
  },
  '@jupyter-widgets/output': {
    version: '1.0.0',
    note: 'ipywidgets 8',
    // The package's OutputView is a placeholder meant to be replaced by the host; see output-view.ts.
    exports: { OutputModel, OutputView: QuireOutputView },
  },
  // Widget code comes from state (`_esm`); see anywidget.ts for what it can and cannot reach.
  [ANYWIDGET_MODULE]: { version: ANYWIDGET_VERSION, note: 'anywidget', exports: { AnyModel, AnyView } },
  [QUIRE_WIDGETS_MODULE]: { version: '1.0.0', note: 'Quire', exports: { UnavailableWidgetView } },
};

export class WidgetModuleError extends Error {
  override name = 'WidgetModuleError';
}

function major(version: string): number | undefined {
  const m = /^\s*[~^=v]*\s*(\d+)/.exec(version);
  return m ? Number(m[1]) : undefined;
}

/** Is `requested` (a version or simple range from the kernel) served by `bundled`? */
export function versionMatches(requested: string, bundled: string): boolean {
  const want = major(requested);
  return want === undefined || want === major(bundled); // '*', '' or a tag: accept
}

export function isBundledModule(name: string): boolean {
  return Object.hasOwn(BUNDLED, name);
}

export function bundledModuleNames(): string[] {
  return Object.keys(BUNDLED);
}

export async function loadBundledClass(className: string, moduleName: string, moduleVersion: string): Promise<unknown> {
  const mod = BUNDLED[moduleName];
  if (!mod) {
    throw new WidgetModuleError(`module ${moduleName}@${moduleVersion} is not bundled with Quire (it needs its own front-end package)`);
  }
  if (!versionMatches(moduleVersion, mod.version)) {
    throw new WidgetModuleError(`Quire bundles ${moduleName} ${mod.version} (${mod.note}); this widget needs version ${moduleVersion}`);
  }
  const cls = mod.exports[className];
  if (typeof cls !== 'function') throw new WidgetModuleError(`${moduleName}@${mod.version} has no class ${className}`);
  return cls;
}
