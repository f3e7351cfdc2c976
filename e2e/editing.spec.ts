// Editing a notebook as a JupyterLab user does: CodeMirror cells shared by every window,
// command-mode shortcuts, cell structure, run all / interrupt / restart, input(), save.
import { readFileSync } from 'node:fs';
import { test, expect } from './fixtures/quire';
import { writeNotebook } from './fixtures/notebooks';

test('two windows typing in one cell at once converge with every keystroke', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'AB' }]);
  const one = await quire.openWindow();
  const two = await quire.openWindow();
  await one.waitForNotebook();
  await two.waitForNotebook();
  await one.editCell(0);
  await one.page.keyboard.press('ArrowLeft'); // between A and B
  await two.editCell(0);
  const first = 'first window types this';
  const second = ' then the second types';
  await Promise.all([one.page.keyboard.type(first, { delay: 15 }), two.page.keyboard.type(second, { delay: 15 })]);

  await expect.poll(async () => (await one.cellText(0)) === (await two.cellText(0)) && (await one.cellText(0)).length, { timeout: 15_000 }).toBe(
    2 + first.length + second.length,
  );
  const text = await one.cellText(0);
  expect(text.startsWith('A' + first)).toBe(true); // window 1's cursor stayed between A and B
  expect(text.endsWith('B' + second)).toBe(true);
  // The doc (what saving writes) holds the same.
  await expect.poll(async () => (await one.docCells())[0]?.source).toBe(text);
});

test('a remote edit keeps the local cursor; undo takes back only this window’s edit', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'value = 1' }]);
  const one = await quire.openWindow();
  const two = await quire.openWindow();
  await one.typeInCell(0, '0'); // value = 10, cursor at the end
  await expect.poll(() => two.cellText(0)).toBe('value = 10');
  await two.typeInCell(0, '# ', { at: 'start' });
  await expect.poll(() => one.cellText(0)).toBe('# value = 10');
  await one.page.keyboard.type('0'); // still at the end of line, not shifted by the remote insert
  await expect.poll(() => two.cellText(0)).toBe('# value = 100');
  // Window 1 typed two zeros (CodeMirror may group them into one undo step): undoing its
  // history takes both back, and never the other window's "# ".
  await one.page.keyboard.press('Control+z');
  await one.page.keyboard.press('Control+z');
  await expect.poll(() => one.cellText(0)).toBe('# value = 1');
  await expect.poll(() => two.cellText(0)).toBe('# value = 1');
});

test('command-mode shortcuts: insert, type, convert, run, delete and undo, cut and paste, merge and split', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'a = 1' }, { source: 'b = 2' }]);
  const win = await quire.openWindow();
  await win.waitForNotebook();
  await win.editCell(0);
  await win.commandMode();
  await expect(win.activeCell()).toHaveAttribute('data-cell-id', 'cell-0');

  await win.press('b'); // insert below, stays in command mode on the new cell
  await expect(win.cells()).toHaveCount(3);
  await win.enterEditMode();
  await win.page.keyboard.type('# Title $x^2$');
  await win.commandMode();
  await win.press('m'); // to markdown
  await expect(win.cells().nth(1)).toHaveClass(/cell-markdown/);
  await win.press('Shift+Enter'); // renders it and moves on
  await expect(win.cells().nth(1).locator('.rendered h1, .rendered h2')).toContainText('Title');
  await expect(win.activeCell()).toHaveAttribute('data-cell-id', 'cell-1');

  await win.press('ArrowUp', 'ArrowUp');
  await expect(win.activeCell()).toHaveAttribute('data-cell-id', 'cell-0');
  await win.press('Shift+Enter'); // runs a = 1, moves to the markdown cell
  await expect(win.cells().nth(0).locator('.prompt')).toHaveText(/\[1\]:/, { timeout: 30_000 });

  await win.press('ArrowDown'); // cell-1 ('b = 2')
  await expect(win.activeCell()).toHaveAttribute('data-cell-id', 'cell-1');
  await win.press('d', 'd');
  await expect(win.cells()).toHaveCount(2);
  await win.press('z'); // undo the delete
  await expect(win.cells()).toHaveCount(3);
  await expect.poll(async () => (await win.docCells()).map((c) => c.source)).toEqual(['a = 1', '# Title $x^2$', 'b = 2']);

  // Cut the first cell and paste it below the last: a = 1 moves to the end.
  await win.press('Home', 'x');
  await expect(win.cells()).toHaveCount(2);
  await win.press('End', 'v');
  await expect.poll(async () => (await win.docCells()).map((c) => c.source)).toEqual(['# Title $x^2$', 'b = 2', 'a = 1']);

  // Select the two code cells and merge them (Shift+Down, Shift+M), joined by a blank line as in JupyterLab.
  await win.press('Home', 'ArrowDown', 'Shift+ArrowDown', 'Shift+m');
  await expect.poll(async () => (await win.docCells()).map((c) => c.source)).toEqual(['# Title $x^2$', 'b = 2\n\na = 1']);

  // Split it again at the cursor (Ctrl+Shift+-), as in JupyterLab.
  await win.enterEditMode();
  await win.press('Control+Home', 'ArrowDown');
  await win.press('Control+Shift+Minus');
  await expect.poll(async () => (await win.docCells()).map((c) => c.source)).toEqual(['# Title $x^2$', 'b = 2', 'a = 1']);

  // Y back to code; Alt+Enter runs and inserts a cell below in edit mode.
  await win.commandMode();
  await win.press('Home', 'y');
  await expect(win.cells().nth(0)).toHaveClass(/cell-code/);
  await win.press('Alt+Enter');
  await expect(win.cells()).toHaveCount(4);
  await expect(win.notebook()).toHaveAttribute('data-mode', 'edit');
});

test('run all, interrupt, restart and restart & run all', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'import time\nx = 41' }, { source: 'x += 1\nprint(x)' }, { source: 'time.sleep(60)' }, { source: 'print("after")' }]);
  const win = await quire.openWindow();
  win.page.on('dialog', (d) => void d.accept());
  await win.waitForNotebook();
  await win.page.getByRole('button', { name: /Run all/ }).first().click();
  await expect(win.outputText(1)).toContainText('42', { timeout: 30_000 });
  await expect(win.cells().nth(2)).toHaveAttribute('data-run', 'running');
  await expect(win.cells().nth(3)).toHaveAttribute('data-run', 'queued');
  await expect(win.cells().nth(2).getByTestId('run-time')).toBeVisible();

  await win.page.getByRole('button', { name: /Interrupt/ }).click();
  await expect(win.outputText(2)).toContainText('KeyboardInterrupt', { timeout: 15_000 });
  await expect(win.page.locator('section.cell[data-run="running"], section.cell[data-run="queued"]')).toHaveCount(0);
  await expect(win.cells().nth(3).locator('.output')).toHaveCount(0); // aborted after the error, as in JupyterLab

  await win.page.getByRole('button', { name: /^↻ Restart$/ }).click();
  await expect(win.kernelStatus()).toHaveAttribute('data-status', 'idle', { timeout: 30_000 });
  await win.editCell(1);
  await win.press('Control+Enter'); // x is gone after the restart
  await expect(win.outputText(1)).toContainText('NameError', { timeout: 30_000 });

  // Restart & run all runs from the top again (the sleep cell is changed so it ends).
  await win.editCell(2);
  await win.page.keyboard.press('Control+a');
  await win.page.keyboard.type('time.sleep(0.1)');
  await win.page.getByRole('button', { name: /Restart & run all/ }).click();
  await expect(win.outputText(3)).toContainText('after', { timeout: 30_000 });
  await expect(win.outputText(1)).toContainText('42');

  // Clear outputs, then run the cells above the second from its cell toolbar: only the first runs.
  await win.page.getByRole('button', { name: 'Clear outputs' }).click();
  await expect(win.page.locator('.output')).toHaveCount(0);
  await win.cells().nth(1).click({ position: { x: 30, y: 5 } });
  await win.cells().nth(1).getByRole('button', { name: 'Run above' }).click();
  await expect(win.cells().nth(0).locator('.prompt')).toHaveText(/\[\d+\]:/, { timeout: 30_000 });
  await expect(win.cells().nth(1).locator('.prompt')).toHaveText(/\[ \]:/);
  await win.cells().nth(1).getByRole('button', { name: 'Run below' }).click();
  await expect(win.outputText(3)).toContainText('after', { timeout: 30_000 });
  await expect(win.outputText(1)).toContainText('42');
});

test('input() is answered in the window that ran the cell', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: "name = input('Your name? ')\nprint('hello', name)" }]);
  const win = await quire.openWindow();
  await win.waitForNotebook();
  await win.runCell(0);
  const prompt = win.page.getByRole('dialog', { name: 'Kernel input' });
  await expect(prompt).toContainText('Your name?', { timeout: 30_000 });
  await prompt.getByLabel('stdin').fill('Ada');
  await prompt.getByLabel('stdin').press('Enter');
  await expect(win.outputText(0)).toContainText('hello Ada', { timeout: 15_000 });
  await expect(prompt).toBeHidden();

  // Asked again and interrupted instead of answered: the question goes away with the run.
  await win.runCell(0);
  await expect(prompt).toContainText('Your name?', { timeout: 30_000 });
  await win.page.getByRole('button', { name: /Interrupt/ }).click();
  await expect(win.outputText(0)).toContainText('KeyboardInterrupt', { timeout: 15_000 });
  await expect(prompt).toBeHidden();
});

test('Ctrl+S saves what was typed; a new window and the file on disk show it', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'x = 1' }]);
  const win = await quire.openWindow();
  await win.typeInCell(0, '\ny = 2');
  await expect(win.page.getByTestId('save-state')).toHaveAttribute('data-state', 'dirty');
  await win.page.keyboard.press('Control+s');
  await expect(win.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  const saved = JSON.parse(readFileSync(quire.notebook, 'utf8')) as { cells: { source: string | string[] }[] };
  expect([saved.cells[0]!.source].flat().join('')).toBe('x = 1\ny = 2');
  await win.page.close();
  const again = await quire.openWindow();
  await expect.poll(() => again.cellText(0)).toBe('x = 1\ny = 2');
});
