/**
 * The one HTML sanitizer for anything a kernel or a notebook file produced (outputs, HTML
 * widgets, markdown). DOMPurify removes scripts and handlers; on top of its defaults we refuse
 * what could take over the window without a script: frames, meta refresh, base, style sheets
 * that restyle the app, and forms.
 */
import DOMPurify from 'dompurify';

const FORBID_TAGS = ['style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'meta', 'base', 'link', 'form'];
const FORBID_ATTR = ['srcdoc', 'formaction', 'action'];
/**
 * KaTeX wraps its MathML (what screen readers read) in <semantics> with the TeX source in an
 * <annotation>. DOMPurify drops both by default; neither is an HTML integration point (unlike
 * <annotation-xml>, which stays forbidden), so they are allowed for math we rendered.
 */
const MATH_TAGS = ['semantics', 'annotation'];

export interface SanitizeOptions {
  /** The HTML holds KaTeX output (markdown, text/latex). */
  math?: boolean;
}

// Links leave the window: the hosts hand new windows to the system browser (Electron) or a
// new tab (browser host) and never follow a navigation of the app window itself, so a link
// without target=_blank would do nothing at all. In-page anchors (#section) stay in place.
// Guarded because DOMPurify has no hooks where there is no DOM (unit tests in Node).
if (DOMPurify.isSupported) {
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName !== 'A') return;
    const href = node.getAttribute('href');
    if (!href || href.startsWith('#')) return;
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  });
}

export function sanitizeHtml(html: string, options: SanitizeOptions = {}): string {
  return DOMPurify.sanitize(html, { FORBID_TAGS, FORBID_ATTR, ...(options.math ? { ADD_TAGS: MATH_TAGS } : {}) });
}
