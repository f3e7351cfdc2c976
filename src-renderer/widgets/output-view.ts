/**
 * The Output widget's view. @jupyter-widgets/output's own OutputView is an empty shell:
 * JupyterLab's manager swaps in one built on @jupyterlab/outputarea + rendermime, which a
 * Quire window does not have (and which would capture outputs from a kernel it does not
 * talk to). In Quire the daemon captures the outputs into the model's `outputs` trait
 * (nbformat output dicts), so this subclass renders that trait with the same renderers as
 * cell outputs (notebook/outputs: ANSI text, sanitized HTML, images, markdown, math, JSON),
 * nested widget views itself, and re-renders on `change:outputs`.
 */
import { OutputView } from '@jupyter-widgets/output';
import type { DOMWidgetView, WidgetModel } from '@jupyter-widgets/base';
import type { Widget } from '@lumino/widgets';
import { createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { widgetModelId } from '../notebook/outputs/mime-bundle';
import { OutputItem } from '../notebook/outputs/OutputItem';
import { attachWidget, disposeWidget } from './lumino';

type Output = Record<string, unknown>;

function pre(className: string, content: string): HTMLElement {
  const el = document.createElement('pre');
  el.className = className;
  el.textContent = content;
  return el;
}

/** The widget a display output shows, if it is a widget view. */
function displayedWidget(output: Output): string | undefined {
  if (output.output_type !== 'display_data' && output.output_type !== 'execute_result') return undefined;
  const data = output.data;
  return data && typeof data === 'object' ? widgetModelId(data as Record<string, unknown>) : undefined;
}

export class QuireOutputView extends OutputView {
  /** Lumino widgets of nested widget views, disposed on every re-render. */
  private children: Widget[] = [];
  /** React roots of the other outputs, unmounted on every re-render. */
  private roots: Root[] = [];
  private generation = 0;

  override render(): void {
    super.render();
    this.luminoWidget.addClass('jupyter-widgets');
    this.luminoWidget.addClass('widget-output');
    this.listenTo(this.model, 'change:outputs', this.renderOutputs);
    this.renderOutputs();
  }

  override remove(): this {
    this.disposeChildren();
    return super.remove();
  }

  private disposeChildren(): void {
    for (const child of this.children.splice(0)) disposeWidget(child);
    const roots = this.roots.splice(0);
    // Deferred: remove() can run inside a React commit (a cell's WidgetView unmounting),
    // where unmounting another root synchronously is not allowed.
    if (roots.length) setTimeout(() => roots.forEach((root) => root.unmount()));
  }

  private renderOutputs(): void {
    this.generation++;
    this.disposeChildren();
    const outputs = this.model.get('outputs');
    const items = Array.isArray(outputs) ? (outputs as Output[]) : [];
    this.el.replaceChildren(
      ...items.map((output) => {
        const wrap = document.createElement('div');
        wrap.className = 'quire-output';
        this.renderOutput(output, wrap);
        return wrap;
      }),
    );
  }

  private renderOutput(output: Output, into: HTMLElement): void {
    const modelId = displayedWidget(output);
    if (modelId) {
      void this.renderChild(modelId, into);
      return;
    }
    const root = createRoot(into);
    root.render(createElement(OutputItem, { output }));
    this.roots.push(root);
  }

  /** A widget displayed inside the Output widget (`with out: display(slider)`). */
  private async renderChild(modelId: string, into: HTMLElement): Promise<void> {
    const generation = this.generation;
    try {
      const model = (await this.model.widget_manager.get_model(modelId)) as WidgetModel;
      const child = (await this.create_child_view(model)) as DOMWidgetView;
      if (generation !== this.generation) {
        child.remove();
        return;
      }
      this.children.push(child.luminoWidget);
      // Attach once this view is displayed, so the child's 'displayed' fires in the document.
      await this.displayed;
      if (generation !== this.generation) return;
      attachWidget(child.luminoWidget, into);
    } catch (err) {
      into.append(pre('quire-output-text', `widget model not found: ${modelId}`));
      console.error(`Quire widgets: nested widget ${modelId} in output ${this.model.model_id}:`, err);
    }
  }
}
