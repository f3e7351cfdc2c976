import { useMemo } from 'react';
import { sanitizeHtml } from '../../safe-html';

/**
 * HTML from a kernel or a notebook file, through the shared sanitizer: shown, never executed
 * (the CSP forbids inline scripts too). Inline styles survive, as in JupyterLab.
 */
export function SanitizedHtml({ html, className, math = false }: { html: string; className: string; math?: boolean }) {
  const clean = useMemo(() => sanitizeHtml(html, { math }), [html, math]);
  return <div className={className} dangerouslySetInnerHTML={{ __html: clean }} />;
}
