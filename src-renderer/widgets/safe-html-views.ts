/**
 * HTML and HTMLMath widgets whose value goes through the renderer's sanitizer. The stock
 * views assign `innerHTML = value` unfiltered, and a notebook file's saved widget state can
 * carry any value (no kernel involved), so they are subclassed here rather than trusted.
 */
import { HTMLMathView, HTMLView, StringView } from '@jupyter-widgets/controls';
import { sanitizeHtml } from '../safe-html';

// The stock update() writes innerHTML and then calls StringView's update; we do the first
// part safely and call StringView's directly.
const stringUpdate = StringView.prototype.update;

export class SafeHTMLView extends HTMLView {
  override update(): void {
    this.content.innerHTML = sanitizeHtml(String(this.model.get('value') ?? ''));
    stringUpdate.call(this);
  }
}

export class SafeHTMLMathView extends HTMLMathView {
  override update(): void {
    this.content.innerHTML = sanitizeHtml(String(this.model.get('value') ?? ''));
    this.typeset(this.content);
    stringUpdate.call(this);
  }
}
