// Page object for one notebook window (galata-style): what a person sees and does.
import { expect, type Locator, type Page } from '@playwright/test';

export class NotebookPage {
  constructor(readonly page: Page) {}

  cells(): Locator {
    return this.page.locator('section.cell');
  }

  codeCell(index: number): Locator {
    return this.page.locator('section.cell-code').nth(index);
  }

  kernelStatus(): Locator {
    return this.page.getByTestId('kernel-status');
  }

  async waitForNotebook(): Promise<void> {
    await expect(this.cells().first()).toBeVisible();
  }

  /** Runs every code cell from the toolbar and waits until none is queued or running. */
  async runAll(): Promise<void> {
    await this.waitForNotebook();
    await this.page.getByRole('button', { name: /Run all/ }).click();
    await expect(this.page.locator('section.cell-code .prompt').last()).toHaveText(/\[\d+\]:/, { timeout: 60_000 });
    await expect(this.page.locator('section.cell[data-run="running"], section.cell[data-run="queued"]')).toHaveCount(0, { timeout: 60_000 });
  }

  async runCell(index: number): Promise<void> {
    await this.codeCell(index).getByRole('button', { name: 'Run cell' }).click();
  }

  sliders(): Locator {
    return this.page.getByRole('slider');
  }

  /** The slider's value as a number (aria-valuenow is a string like "7.0"). */
  async sliderValue(index = 0): Promise<number> {
    return Number(await this.sliders().nth(index).getAttribute('aria-valuenow'));
  }

  async expectSliderValue(value: number, index = 0): Promise<void> {
    await expect.poll(() => this.sliderValue(index), { timeout: 15_000 }).toBe(value);
  }

  /** Focuses the slider handle and presses a key (keyboard steps by `step`). */
  async pressOnSlider(key: string, index = 0, times = 1): Promise<void> {
    const slider = this.sliders().nth(index);
    await slider.focus();
    for (let i = 0; i < times; i++) await slider.press(key);
  }

  // ---- editing (CodeMirror cells, command mode) -----------------------------------------

  notebook(): Locator {
    return this.page.getByRole('main', { name: 'Notebook' });
  }

  editor(index: number): Locator {
    return this.cells().nth(index).locator('.cm-content');
  }

  /** The text of cell `index` as its editor shows it. */
  async cellText(index: number): Promise<string> {
    return this.cells()
      .nth(index)
      .locator('.cm-line')
      .evaluateAll((lines) => lines.map((l) => l.textContent ?? '').join('\n'));
  }

  /** Puts the cursor in cell `index` (at the end of its text unless `at` says otherwise). */
  async editCell(index: number, at: 'start' | 'end' = 'end'): Promise<void> {
    await this.editor(index).click();
    await this.page.keyboard.press(at === 'end' ? 'Control+End' : 'Control+Home');
  }

  async typeInCell(index: number, text: string, options: { at?: 'start' | 'end'; delay?: number } = {}): Promise<void> {
    await this.editCell(index, options.at);
    await this.page.keyboard.type(text, { delay: options.delay ?? 0 });
  }

  /** Leaves edit mode (Esc), so keys act on cells as in JupyterLab's command mode. */
  async commandMode(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await expect(this.notebook()).toHaveAttribute('data-mode', 'command');
  }

  /** Enter on the active cell, then waits until its editor has the focus (typing goes there). */
  async enterEditMode(): Promise<void> {
    await this.page.keyboard.press('Enter');
    await expect(this.activeCell().locator('.cm-editor')).toHaveClass(/cm-focused/);
  }

  /** Presses keys one after the other (e.g. 'd', 'd'). */
  async press(...keys: string[]): Promise<void> {
    for (const key of keys) await this.page.keyboard.press(key);
  }

  activeCell(): Locator {
    return this.page.locator('section.cell[data-active]');
  }

  /** The notebook's cells as the doc holds them (through `window.quire`). */
  async docCells(): Promise<{ id: string; cellType: string; source: string }[]> {
    return this.page.evaluate(async () => (await window.quire!.getNotebook()).cells.map((c) => ({ id: c.id, cellType: c.cellType, source: c.source })));
  }

  outputText(index: number): Locator {
    return this.cells().nth(index).locator('.outputs');
  }

  /** `window.quire.getComms()` as the renderer sees it. */
  comms(): Promise<{ id: string; modelName: string; seq: number; state: Record<string, unknown> }[]> {
    return this.page.evaluate(() => window.quire!.getComms());
  }
}

declare global {
  interface Window {
    quire?: import('../../src-shared/ipc/contract').QuireApi;
  }
}
