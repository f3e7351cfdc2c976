// Rich outputs as a person sees them: a real ipykernel produces every kind of output
// JupyterLab renders, and the window shows colours, math, images, JSON and long text —
// sanitized, within the CSP, in light and dark themes.
import { test, expect } from './fixtures/quire';
import { writeNotebook } from './fixtures/notebooks';

/** A 4×3 blue JPEG (288 bytes), made once with Chromium's canvas encoder. */
const JPEG_4x3 =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAADAAQDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABgf/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCQAUAaf//Z';

const MARKDOWN_CELL = '# Output gallery\n\nEuler: $e^{i\\pi} + 1 = 0$, see [the docs](https://example.com/docs).';

/** Code cells, in order; the exception comes last because Run all stops at an error. */
const CODE = {
  ansi: [
    'import sys',
    "print('plain \\x1b[31mred\\x1b[0m and \\x1b[1;32mbold green\\x1b[0m')",
    "print('to stderr', file=sys.stderr)",
  ],
  html: [
    'from IPython.display import display, HTML, SVG, Image, Markdown, Latex, JSON',
    'display(HTML(\'<b class="probe-html" style="color: rgb(1, 2, 3)">bold html</b><script>window.__pwned = "html"</script>\'))',
  ],
  svg: [
    'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="teal"/><script>window.__pwned = "svg"</script></svg>\'))',
  ],
  png: [
    '# A 3x2 red PNG built by hand: no numpy or matplotlib in the test kernel.',
    'import struct, zlib',
    'def chunk(kind, data):',
    "    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)",
    "rows = b''.join(b'\\x00' + bytes((200, 30, 30)) * 3 for _ in range(2))",
    "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 3, 2, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')",
    "display(Image(data=png, format='png', width=30))",
  ],
  jpeg: ['import base64', `display(Image(data=base64.b64decode('${JPEG_4x3}'), format='jpeg'))`],
  markdown: ["display(Markdown('Squares: $x^2$ and a [link](https://example.com/quire)'))"],
  latex: ["display(Latex(r'$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$'))"],
  json: ["display(JSON({'alpha': 1, 'nested': {'beta': [1, 2, 3]}}))"],
  long: ["print('\\n'.join(f'line {i}' for i in range(1, 5001)))"],
  outputWidget: [
    'import ipywidgets as w',
    'out = w.Output()',
    'display(out)',
    'with out:',
    "    print('\\x1b[34mblue in a widget\\x1b[0m')",
    "    display(Markdown('captured $y^3$'))",
  ],
  error: ["raise ValueError('boom')"],
};
const INDEX = Object.fromEntries(Object.keys(CODE).map((name, i) => [name, i])) as Record<keyof typeof CODE, number>;

function writeGalleryNotebook(path: string): void {
  writeNotebook(path, [
    { id: 'md', cell_type: 'markdown', source: MARKDOWN_CELL },
    ...Object.entries(CODE).map(([name, source]) => ({ id: name, source })),
  ]);
}

test('every kind of output renders as JupyterLab shows it, sanitized and within the CSP', async ({ quire }, testInfo) => {
  writeGalleryNotebook(quire.notebook);
  const win = await quire.openWindow();
  const { page } = win;
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  // Load again with the listener attached, so fonts and images loaded at start-up are covered.
  await page.reload();
  await win.runAll();

  // The markdown cell: heading, KaTeX, a link that opens outside the window.
  const mdCell = page.locator('section.cell-markdown').first();
  await expect(mdCell.getByRole('heading', { name: 'Output gallery' })).toBeVisible();
  await expect(mdCell.locator('.katex').first()).toBeVisible();
  await expect(mdCell.getByRole('link', { name: 'the docs' })).toHaveAttribute('target', '_blank');

  // Stream: the coloured word is a span with the theme's red; stderr looks different.
  const ansi = win.codeCell(INDEX.ansi);
  const red = ansi.locator('.output-stream span', { hasText: 'red' }).first();
  await expect(red).toHaveClass(/ansi-red-fg/);
  await expect(ansi.locator('.output-stream span', { hasText: 'bold green' })).toHaveClass(/ansi-green-fg.*ansi-bold/);
  await expect(ansi.locator('.output-stream.stdout')).not.toContainText('\u001b');
  const plainColour = await ansi.locator('.output-stream.stdout').evaluate((e) => getComputedStyle(e).color);
  const lightRed = await red.evaluate((e) => getComputedStyle(e).color);
  expect(lightRed).not.toBe(plainColour);
  const stderr = ansi.locator('.output-stream.stderr');
  await expect(stderr).toHaveText('to stderr');
  expect(await stderr.evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(
    await ansi.locator('.output-stream.stdout').evaluate((e) => getComputedStyle(e).backgroundColor),
  );

  // HTML: inline style kept, script gone.
  const html = win.codeCell(INDEX.html).locator('.output-html .probe-html');
  await expect(html).toHaveText('bold html');
  await expect(html).toHaveCSS('color', 'rgb(1, 2, 3)');
  await expect(win.codeCell(INDEX.html).locator('script')).toHaveCount(0);

  // Images: decoded by the browser (naturalWidth > 0), sized as the kernel asked.
  const natural = (cell: number) =>
    win
      .codeCell(cell)
      .locator('img.output-image')
      .evaluate(async (img: HTMLImageElement) => {
        await img.decode();
        return { w: img.naturalWidth, h: img.naturalHeight, shownWidth: img.getBoundingClientRect().width, src: img.src.slice(0, 40) };
      });
  const svg = await natural(INDEX.svg);
  expect(svg).toMatchObject({ w: 40, h: 20 });
  expect(svg.src).toMatch(/^data:image\/svg\+xml;base64,/);
  expect(await natural(INDEX.png)).toMatchObject({ w: 3, h: 2, shownWidth: 30 });
  expect(await natural(INDEX.jpeg)).toMatchObject({ w: 4, h: 3 });

  // Markdown output: math typeset, link opens outside the window.
  const mdOut = win.codeCell(INDEX.markdown).locator('.output-markdown');
  await expect(mdOut.locator('.katex')).toBeVisible();
  await expect(mdOut.locator('annotation')).toHaveText('x^2');
  const link = mdOut.getByRole('link', { name: 'link' });
  await expect(link).toHaveAttribute('href', 'https://example.com/quire');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');

  // LaTeX: display math.
  await expect(win.codeCell(INDEX.latex).locator('.output-latex .katex-display')).toBeVisible();

  // KaTeX's fonts came from the build under 'self' (font-src): loaded, none refused.
  await page.evaluate(() => document.fonts.ready);
  const katexFonts = await page.evaluate(() =>
    [...document.fonts].filter((f) => f.family.replace(/"/g, '').startsWith('KaTeX')).map((f) => `${f.family}:${f.status}`),
  );
  expect(katexFonts.some((f) => /KaTeX_Main.*:loaded/.test(f)), katexFonts.join(', ')).toBe(true);
  expect(katexFonts.filter((f) => f.endsWith(':error'))).toEqual([]);

  // JSON: the top level is open, deeper levels expand on click.
  const json = win.codeCell(INDEX.json).locator('.output-json');
  await expect(json.getByText('alpha', { exact: true })).toBeVisible();
  await expect(json.getByText('nested', { exact: true })).toBeVisible();
  await expect(json.getByText('beta', { exact: true })).toHaveCount(0);
  await json.getByRole('treeitem').filter({ hasText: 'nested' }).last().getByRole('button', { name: 'Expand' }).click();
  await expect(json.getByText('beta', { exact: true })).toBeVisible();

  // The error: IPython's coloured traceback.
  const error = win.codeCell(INDEX.error).getByRole('alert');
  await expect(error).toContainText('ValueError');
  await expect(error).toContainText('boom');
  expect(await error.locator('span[class*="ansi-"]').count()).toBeGreaterThan(0);

  // The Output widget shows what it captured with the same renderers as a cell.
  const captured = win.codeCell(INDEX.outputWidget).locator('.widget-output');
  await expect(captured.locator('span', { hasText: 'blue in a widget' })).toHaveClass(/ansi-blue-fg/);
  await expect(captured.locator('.output-markdown .katex')).toBeVisible();

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: testInfo.outputPath('outputs-top.png') });
  await win.codeCell(INDEX.latex).scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('outputs-math-json.png') });

  // 5,000 lines: head and tail shown, the middle behind a button that shows it all.
  const long = win.codeCell(INDEX.long).locator('.output-stream');
  const showAll = win.codeCell(INDEX.long).getByRole('button', { name: /Show all 5,?000 lines/ });
  await expect(showAll).toBeVisible();
  await showAll.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('outputs-truncated.png') });
  await expect(long).toContainText('line 1\n');
  await expect(long).toContainText('line 5000');
  await expect(long).not.toContainText('line 2500');
  await showAll.click();
  await expect(long).toContainText('line 2500');
  await expect(showAll).toHaveCount(0);

  // Dark theme: the palette follows the window.
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => red.evaluate((e) => getComputedStyle(e).color)).not.toBe(lightRed);
  await win.codeCell(INDEX.ansi).scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('outputs-dark.png') });

  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  expect(cspViolations).toEqual([]);
});
