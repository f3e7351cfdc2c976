/**
 * The one HTML sanitizer for anything a kernel or a notebook file produced (outputs, HTML
 * widgets). DOMPurify removes scripts and handlers; on top of its defaults we refuse what
 * could take over the window without a script: frames, meta refresh, base, style sheets
 * that restyle the app, and forms.
 */
import DOMPurify from 'dompurify';

const FORBID_TAGS = ['style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'meta', 'base', 'link', 'form'];
const FORBID_ATTR = ['srcdoc', 'formaction', 'action'];

export function sanitizeHtml(html: string): string {
  return DOMPurify.sanitize(html, { FORBID_TAGS, FORBID_ATTR });
}
