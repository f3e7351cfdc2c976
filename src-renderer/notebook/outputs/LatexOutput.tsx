import 'katex/dist/katex.min.css';
import { useMemo } from 'react';
import { latexToHtml } from './latex';
import { SanitizedHtml } from './SanitizedHtml';

/** text/latex: typeset with KaTeX, or the source itself when KaTeX cannot render it. */
export function LatexOutput({ source }: { source: string }) {
  const html = useMemo(() => latexToHtml(source), [source]);
  if (html === null) return <pre className="output-latex-source">{source}</pre>;
  return <SanitizedHtml className="output-latex" html={html} math />;
}
