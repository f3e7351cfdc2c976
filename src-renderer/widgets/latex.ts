/**
 * TeX in widgets (HTMLMath values, descriptions). The controls' DescriptionView typesets
 * through `widget_manager._rendermime.latexTypesetter` when a host provides one (JupyterLab
 * does), and otherwise through MathJax on `window`, which a Quire window never loads (no CDN).
 * KaTeX is bundled, so the manager offers it in that slot.
 */
import renderMathInElement from 'katex/contrib/auto-render';

export const katexTypesetter = {
  typeset(element: HTMLElement): void {
    renderMathInElement(element, {
      delimiters: [
        { left: '$$', right: '$$', display: true },
        { left: '\\[', right: '\\]', display: true },
        { left: '$', right: '$', display: false },
        { left: '\\(', right: '\\)', display: false },
      ],
      // Bad TeX stays readable as its source instead of breaking the widget.
      throwOnError: false,
    });
  },
};
