import { describe, expect, it } from 'vitest';
import { markdownToHtml } from './markdown';

describe('markdownToHtml', () => {
  it('renders GitHub-flavoured markdown', () => {
    const html = markdownToHtml('# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\n~~gone~~');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<table>');
    expect(html).toContain('<del>gone</del>');
    expect(html).toContain('type="checkbox"');
  });

  it('typesets inline and display math with KaTeX, keeping the TeX for screen readers', () => {
    const html = markdownToHtml('Square $x^2$ here.\n\n$$\n\\frac{1}{2}\n$$\n');
    expect(html).toMatch(/<p>Square <span class="katex">/);
    expect(html).toContain('<annotation encoding="application/x-tex">x^2</annotation>');
    expect(html).toContain('<span class="katex-display">');
    expect(html).toContain('\\frac{1}{2}');
  });

  it('treats $…$ as math next to punctuation, as Jupyter does', () => {
    expect(markdownToHtml('(see $n$)')).toContain('class="katex"');
    expect(markdownToHtml('the $n$-th term')).toContain('class="katex"');
  });

  it('ends a paragraph where a $$ block starts on the next line', () => {
    const html = markdownToHtml('The energy\n$$\nE = mc^2\n$$\nafter');
    expect(html).toContain('<p>The energy</p>');
    expect(html).toContain('katex-display');
    expect(html).not.toContain('$$');
  });

  it('leaves math in code alone and honours escaped dollars', () => {
    expect(markdownToHtml('`$x$`')).toBe('<p><code>$x$</code></p>\n');
    expect(markdownToHtml('costs \\$5 or \\$6')).not.toContain('katex');
  });

  it('shows a broken formula in place instead of failing the whole cell', () => {
    const html = markdownToHtml('ok $\\frac{1}{$ text');
    expect(html).toContain('ok ');
    expect(html).toContain('text');
  });

  it('renders links and images (the sanitizer adds target/rel and filters URLs)', () => {
    const html = markdownToHtml('[site](https://example.com) ![dot](data:image/png;base64,AAAA)');
    expect(html).toContain('<a href="https://example.com">site</a>');
    expect(html).toContain('<img src="data:image/png;base64,AAAA" alt="dot">');
  });
});
