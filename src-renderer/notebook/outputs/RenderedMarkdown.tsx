import 'katex/dist/katex.min.css';
import { useMemo } from 'react';
import { markdownToHtml } from './markdown';
import { SanitizedHtml } from './SanitizedHtml';

/** Markdown with math, sanitized: markdown cells and text/markdown outputs look the same. */
export function RenderedMarkdown({ source, className = '' }: { source: string; className?: string }) {
  const html = useMemo(() => markdownToHtml(source), [source]);
  return <SanitizedHtml className={`markdown-body ${className}`.trim()} html={html} math />;
}
