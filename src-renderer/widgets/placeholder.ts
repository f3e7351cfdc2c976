/**
 * What a window shows instead of a widget it cannot render. @jupyter-widgets/base has an
 * ErrorWidgetView, but it shows a broken-file icon and hides the reason behind a click; a
 * Quire user should read at a glance which module and model are missing, so these small
 * classes replace it (same slots: ManagerBase.loadModelClass / loadViewClass fallbacks).
 */
import { DOMWidgetModel, DOMWidgetView, type WidgetModel, type WidgetView } from '@jupyter-widgets/base';

/** Module name under which this file's view is registered in the bundled-module table. */
export const QUIRE_WIDGETS_MODULE = '@quire/widgets';
export const QUIRE_WIDGETS_VERSION = '1.0.0';
const PLACEHOLDER_VIEW = 'UnavailableWidgetView';

export function placeholderElement(title: string, detail: string, kind: 'unavailable' | 'missing'): HTMLElement {
  const el = document.createElement('div');
  el.className = `quire-widget-placeholder quire-widget-${kind}`;
  el.setAttribute('role', 'note');
  const strong = document.createElement('strong');
  strong.textContent = title;
  el.append(strong);
  if (detail) {
    const small = document.createElement('span');
    small.className = 'quire-widget-placeholder-detail';
    small.textContent = detail;
    el.append(' ', small);
  }
  return el;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A stand-in model for a class Quire cannot load. It keeps the doc's state (so nothing is
 * lost and updates still apply) but always renders the placeholder view.
 */
export function createUnavailableModel(moduleName: string, moduleVersion: string, className: string, error: unknown): typeof WidgetModel {
  const title = `Widget unavailable: ${className} from ${moduleName}@${moduleVersion || '*'}`;
  const forced = {
    _view_name: PLACEHOLDER_VIEW,
    _view_module: QUIRE_WIDGETS_MODULE,
    _view_module_version: QUIRE_WIDGETS_VERSION,
  };
  class UnavailableWidgetModel extends DOMWidgetModel {
    constructor(attributes?: Record<string, unknown>, options?: never) {
      super({ ...attributes, ...forced, quire_title: title, quire_detail: errorText(error) }, options);
    }
    override set_state(state: Record<string, unknown>): void {
      const rest = { ...state };
      for (const key of Object.keys(forced)) delete rest[key];
      super.set_state(rest);
    }
  }
  return UnavailableWidgetModel as unknown as typeof WidgetModel;
}

export class UnavailableWidgetView extends DOMWidgetView {
  override render(): void {
    const title = String(this.model.get('quire_title') ?? 'Widget unavailable');
    const detail = String(this.model.get('quire_detail') ?? '');
    this.el.replaceChildren(placeholderElement(title, detail, 'unavailable'));
  }
}

/** The view class could not be loaded although the model could. */
export function createUnavailableView(moduleName: string, moduleVersion: string, className: string, error: unknown): typeof WidgetView {
  class UnavailableView extends DOMWidgetView {
    override render(): void {
      const title = `Widget view unavailable: ${className} from ${moduleName}@${moduleVersion || '*'} (model ${this.model.get('_model_name')})`;
      this.el.replaceChildren(placeholderElement(title, errorText(error), 'unavailable'));
    }
  }
  return UnavailableView as unknown as typeof WidgetView;
}
