/**
 * The Output widget's view. @jupyter-widgets/output's own OutputView is an empty shell:
 * JupyterLab's manager swaps in one built on @jupyterlab/outputarea + rendermime, which a
 * Quire window does not have (and which would capture outputs from a kernel it does not
 * talk to). In Quire the daemon captures the outputs into the model's `outputs` trait
 * (nbformat output dicts), so this subclass renders that trait — text, streams, errors,
 * sanitized HTML, images and nested widget views — and re-renders on `change:outputs`.
 */
import { OutputView } from '@jupyter-widgets/output';
import type { DOMWidgetView, WidgetModel } from '@jupyter-widgets/base';
import type { Widget } from '@lumino/widgets';
import { sanitizeHtml } from '../safe-html';
import { attachWidget, disposeWidget } from './lumino';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

type Output = Record<string, unknown>;

function text(value: unknown): string {
  return Array.isArray(value) ? value.join('') : String(value ?? '');
}

function pre(className: string, content: string): HTMLElement {
  const el = document.createElement('pre');
  el.className = className;
  el.textContent = content;
  return el;
}

export class QuireOutputView extends OutputView {
  /** Lumino widgets of nested widget views, disposed on every re-render. */
  private children: Widget[] = [];
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
    switch (output.output_type) {
      case 'stream':
        into.append(pre(`quire-output-stream${output.name === 'stderr' ? ' stderr' : ''}`, text(output.text).replace(ANSI, '')));
        return;
      case 'error': {
        const tb = Array.isArray(output.traceback) && output.traceback.length ? output.traceback.map(String).join('\n') : `${String(output.ename)}: ${String(output.evalue)}`;
        into.append(pre('quire-output-error', tb.replace(ANSI, '')));
        return;
      }
      case 'display_data':
      case 'execute_result':
        this.renderBundle((output.data ?? {}) as Record<string, unknown>, into);
        return;
      default:
        return;
    }
  }

  private renderBundle(data: Record<string, unknown>, into: HTMLElement): void {
    const view = data[WIDGET_MIME] as { model_id?: unknown } | undefined;
    if (view && typeof view.model_id === 'string') {
      void this.renderChild(view.model_id, into);
      return;
    }
    if ('text/html' in data) {
      const div = document.createElement('div');
      div.className = 'quire-output-html';
      div.innerHTML = sanitizeHtml(text(data['text/html']));
      into.append(div);
      return;
    }
    for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
      if (mime in data) {
        const img = document.createElement('img');
        img.alt = '';
        img.src = `data:${mime};base64,${text(data[mime]).replace(/\s/g, '')}`;
        into.append(img);
        return;
      }
    }
    if ('image/svg+xml' in data) {
      const img = document.createElement('img');
      img.alt = '';
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text(data['image/svg+xml']))}`;
      into.append(img);
      return;
    }
    if ('text/plain' in data) into.append(pre('quire-output-text', text(data['text/plain'])));
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
