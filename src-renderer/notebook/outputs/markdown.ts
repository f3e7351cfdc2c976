/**
 * Markdown (cells and text/markdown outputs) to HTML with `marked` (GitHub-flavoured) and
 * KaTeX math. The HTML is NOT safe yet: raw HTML in markdown passes through, as in Jupyter,
 * so callers must sanitize it (SanitizedHtml with `math`), which also makes links open
 * outside the window.
 */
import { Marked, type TokenizerAndRendererExtension } from 'marked';
import markedKatex from 'marked-katex-extension';
import type { KatexOptions } from 'katex';

export const KATEX_OPTIONS: KatexOptions = {
  // A typo in a formula shows the formula in red instead of breaking the whole cell.
  throwOnError: false,
  // Unicode text in math and similar leniencies are fine; no console noise per formula.
  strict: 'ignore',
  // Both: the HTML is what people see, the MathML is what screen readers read.
  output: 'htmlAndMathml',
};

/** A `$$` line under a line of text, as notebooks often have, without a blank line between. */
const DISPLAY_MATH_LINE = /\n\$\$\n/;

function katexExtensions(): TokenizerAndRendererExtension[] {
  // nonStandard: Jupyter treats any $…$ pair as math, including "($x$)" and "$n$-th",
  // which marked-katex's standard rule (spaces around the dollars) would leave as text.
  const extensions = markedKatex({ ...KATEX_OPTIONS, nonStandard: true }).extensions ?? [];
  return extensions.map((extension) =>
    extension.name === 'blockKatex'
      ? {
          ...extension,
          // Without a `start`, marked cannot end a paragraph where a $$ block begins, and
          // the block would be read as paragraph text.
          start: (src: string) => {
            const match = DISPLAY_MATH_LINE.exec(src);
            return match ? match.index + 1 : undefined;
          },
        }
      : extension,
  );
}

const markdown = new Marked({ gfm: true, async: false }, { extensions: katexExtensions() });

export function markdownToHtml(source: string): string {
  return markdown.parse(source, { async: false });
}
