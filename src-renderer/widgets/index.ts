/**
 * Widgets in a Quire window: `startWidgets(api)` builds every widget model from the synced
 * doc (through `window.quire`) and keeps them in step with it; `renderView` shows a model's
 * view in an element (cells' `application/vnd.jupyter.widget-view+json` outputs).
 */
// Styles the official renderers expect (bundled; no fonts or CDN URLs, CSP-safe).
import '@lumino/widgets/style/index.css';
import '@jupyter-widgets/base/css/index.css';
import '@jupyter-widgets/controls/css/widgets.css';
// Icons (Button, ToggleButton(s), Play use `fa fa-<name>`) and math (HTMLMath), both bundled.
import './vendor/font-awesome-4.7/font-awesome.css';
import 'katex/dist/katex.min.css';
import './widgets.css';

import type { DOMWidgetView, WidgetModel } from '@jupyter-widgets/base';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { QuireApi, Unsubscribe } from '../../src-shared/ipc/contract';
import { attachWidget, detachWidget } from './lumino';
import { DocWidgetManager } from './manager';
import { placeholderElement } from './placeholder';

export { DocWidgetManager } from './manager';

export interface WidgetHost {
  /** Resolves once every model in the doc at start-up exists (rejects if the host failed). */
  ready: Promise<void>;
  /**
   * Renders `modelId`'s view into `element` (waiting for the model if it has not arrived
   * yet) and resolves with a disposer once the view — or a placeholder — is shown.
   */
  renderView(modelId: string, element: HTMLElement): Promise<() => void>;
  /** Sends pending edits, removes every view and stops following the doc. */
  dispose(): void;
  /** The underlying manager (models by id: `manager.get_model(id)`), for tests and tools. */
  readonly manager: DocWidgetManager;
}

/** After the doc's models are loaded, how long a missing model may take to arrive. */
export const MODEL_NOT_FOUND_MS = 2000;

interface Render {
  /** Cancels a render that has not shown its view yet (another render took the element). */
  cancelIfPending(): void;
}

export function startWidgets(api: QuireApi): WidgetHost {
  const manager = new DocWidgetManager(api);
  const ready = manager.start();
  ready.catch((err: Error) => console.error(`Quire widgets: could not load widgets from the notebook: ${err.message}`));

  const renders = new WeakMap<HTMLElement, Render>();
  const attached = new Set<Widget>();
  const disposers = new Set<() => void>();
  let disposed = false;

  const onResize = () => {
    for (const w of attached) MessageLoop.postMessage(w, Widget.ResizeMessage.UnknownSize);
  };
  // A closing window still sends the user's last edit.
  const onPageHide = () => manager.flush();
  window.addEventListener('resize', onResize);
  window.addEventListener('pagehide', onPageHide);

  function renderView(modelId: string, element: HTMLElement): Promise<() => void> {
    if (disposed) return Promise.resolve(() => {});
    renders.get(element)?.cancelIfPending();

    let done = false;
    let view: DOMWidgetView | undefined;
    let placeholder: HTMLElement | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unwatch: Unsubscribe | undefined;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));

    const showPlaceholder = (title: string, detail: string) => {
      placeholder?.remove();
      placeholder = placeholderElement(title, detail, 'missing');
      element.append(placeholder);
    };

    const dispose = () => {
      if (done) return;
      done = true;
      disposers.delete(dispose);
      if (timer !== undefined) clearTimeout(timer);
      unwatch?.();
      placeholder?.remove();
      if (view) {
        const w = view.luminoWidget;
        attached.delete(w);
        detachWidget(w);
        view.remove();
      }
      if (renders.get(element) === render) renders.delete(element);
      settle();
    };
    const render: Render = {
      cancelIfPending: () => {
        if (!view) dispose();
      },
    };
    renders.set(element, render);
    disposers.add(dispose);

    const show = async (modelPromise: Promise<WidgetModel>) => {
      try {
        const model = await modelPromise;
        if (done) return;
        const created = (await manager.create_view(model, {})) as DOMWidgetView;
        if (done || !manager.isCurrent(modelId, model)) {
          created.remove();
          return;
        }
        if (timer !== undefined) clearTimeout(timer);
        placeholder?.remove();
        placeholder = undefined;
        view = created;
        const w = created.luminoWidget;
        attached.add(w);
        w.disposed.connect(() => attached.delete(w));
        // When the doc removes the model, ManagerBase removes this view (and its node).
        attachWidget(w, element);
      } catch (err) {
        if (!done) showPlaceholder(`widget could not be displayed: ${modelId}`, (err as Error).message);
        console.error(`Quire widgets: rendering ${modelId}:`, err);
      } finally {
        settle();
      }
    };

    const existing = manager.modelPromise(modelId);
    if (existing) {
      void show(existing);
    } else {
      // Not in the doc (yet): a window may render outputs before the comms arrive. Keep
      // waiting, but after a short time say so instead of leaving a blank hole.
      unwatch = manager.onModelAdded(modelId, (model) => {
        unwatch?.();
        unwatch = undefined;
        void show(model);
      });
      void ready
        .catch(() => undefined)
        .then(() => {
          if (done || view) return;
          timer = setTimeout(() => {
            if (done || view) return;
            showPlaceholder(
              `widget model not found: ${modelId}`,
              'Its state is no longer in the notebook (the kernel restarted or the widget was closed). Run the cell again to recreate it.',
            );
            settle();
          }, MODEL_NOT_FOUND_MS);
        });
    }
    return settled.then(() => dispose);
  }

  return {
    ready,
    renderView,
    manager,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const d of [...disposers]) d();
      window.removeEventListener('resize', onResize);
      window.removeEventListener('pagehide', onPageHide);
      manager.dispose();
    },
  };
}
