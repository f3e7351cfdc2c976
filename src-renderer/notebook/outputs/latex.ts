/**
 * text/latex outputs (IPython's Latex and Math, sympy) rendered with KaTeX. Returns null when
 * KaTeX cannot render the source, so the caller can show the source itself.
 */
import katex from 'katex';
import { KATEX_OPTIONS, markdownToHtml } from './markdown';

interface MathSource {
  tex: string;
  displayMode: boolean;
}

/** The formula and its mode when the whole output is one formula; null for text with math in it. */
export function singleFormula(source: string): MathSource | null {
  const s = source.trim();
  const wrapped = (open: string, close: string) =>
    s.length >= open.length + close.length && s.startsWith(open) && s.endsWith(close)
      ? s.slice(open.length, s.length - close.length)
      : null;
  const display = wrapped('$$', '$$') ?? wrapped('\\[', '\\]');
  if (display !== null && !hasMathDelimiter(display)) return { tex: display, displayMode: true };
  const inline = wrapped('$', '$') ?? wrapped('\\(', '\\)');
  if (inline !== null && !hasMathDelimiter(inline)) return { tex: inline, displayMode: false };
  if (s.startsWith('\\begin{')) return { tex: s, displayMode: true };
  // Bare TeX (`\frac{1}{2}`): there is no text around it, so it is one formula.
  if (!hasMathDelimiter(s)) return { tex: s, displayMode: true };
  return null;
}

/**
 * An unescaped `$`, `\(` or `\[`: the source mixes text and formulas. (`\\[2pt]`, a line
 * break with spacing inside a formula, is not one.)
 */
function hasMathDelimiter(tex: string): boolean {
  return /(^|[^\\])\$/.test(tex) || /(^|[^\\])\\[([]/.test(tex);
}

export function latexToHtml(source: string): string | null {
  const formula = singleFormula(source);
  if (!formula) {
    // Text with formulas in it ("Energy: $E = mc^2$"): the markdown pipeline typesets each one.
    return markdownToHtml(source);
  }
  try {
    return katex.renderToString(formula.tex, { ...KATEX_OPTIONS, throwOnError: true, displayMode: formula.displayMode });
  } catch {
    return null;
  }
}
