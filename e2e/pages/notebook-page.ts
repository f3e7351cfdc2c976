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
