import { describe, expect, it } from 'vitest';
import { latexToHtml, singleFormula } from './latex';

describe('singleFormula', () => {
  it('reads the delimiters IPython and sympy use', () => {
    expect(singleFormula('$$\\frac{1}{3}$$')).toEqual({ tex: '\\frac{1}{3}', displayMode: true });
    expect(singleFormula('\\[x\\]')).toEqual({ tex: 'x', displayMode: true });
    expect(singleFormula('$\\displaystyle x^2$')).toEqual({ tex: '\\displaystyle x^2', displayMode: false });
    expect(singleFormula('\\(y\\)')).toEqual({ tex: 'y', displayMode: false });
  });
  it('shows environments and bare TeX in display mode', () => {
    expect(singleFormula('\\begin{align} a &= b \\\\[2pt] c &= d \\end{align}')?.displayMode).toBe(true);
    expect(singleFormula('\\frac{1}{2}')).toEqual({ tex: '\\frac{1}{2}', displayMode: true });
  });
  it('recognises text with several formulas', () => {
    expect(singleFormula('$a$ and $b$')).toBeNull();
    expect(singleFormula('Energy: $E = mc^2$')).toBeNull();
  });
});

describe('latexToHtml', () => {
  it('typesets a display formula', () => {
    const html = latexToHtml('$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$')!;
    expect(html).toContain('class="katex-display"');
    expect(html).toContain('<annotation encoding="application/x-tex">');
  });
  it('typesets text with formulas in it', () => {
    const html = latexToHtml('Energy: $E = mc^2$ and $p$')!;
    expect(html.match(/class="katex"/g)).toHaveLength(2);
    expect(html).toContain('Energy:');
  });
  it('returns null for TeX that KaTeX cannot render, so the source is shown', () => {
    expect(latexToHtml('$$\\frac{1}{$$')).toBeNull();
    expect(latexToHtml('\\begin{tikzpicture}\\end{tikzpicture}')).toBeNull();
  });
});
