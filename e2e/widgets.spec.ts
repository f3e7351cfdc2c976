// The widget path as a person sees it: widgets render from the synced doc in every
// window and every host process, and follow changes from anywhere.
import { test, expect } from './fixtures/quire';
import { heldCell } from '../src-client/testing/held-cell';

const DEMO_SLIDER = 0; // the demo's first slider: "Count", an IntSlider 0..10

test('running the demo renders its widgets from the doc; getComms() is in seq order', async ({ quire }) => {
  const win = await quire.openWindow();
  await win.runAll();
  await win.expectSliderValue(7, DEMO_SLIDER); // the last cell sets slider.value = 7
  await expect(win.page.getByRole('checkbox')).toBeChecked();
  expect(await win.page.locator('.outputs select').first().inputValue()).toBe('green');
  await expect(win.page.getByText('captured by an Output widget', { exact: true })).toBeVisible();

  const comms = await win.comms();
  expect(comms.length).toBeGreaterThanOrEqual(18);
  const seqs = comms.map((c) => c.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(comms.find((c) => c.modelName === 'IntSliderModel')?.state.value).toBe(7);
});

test('a second window shows the same widgets; a keyboard change in window 1 reaches window 2 and the kernel', async ({ quire }) => {
  const one = await quire.openWindow();
  await one.runAll();
  const two = await quire.openWindow();
  await two.expectSliderValue(7, DEMO_SLIDER);

  await one.pressOnSlider('ArrowRight', DEMO_SLIDER, 2);
  await one.expectSliderValue(9, DEMO_SLIDER);
  await two.expectSliderValue(9, DEMO_SLIDER);
  // The kernel got it too, and its observer squared it into the IntText in both windows.
  await expect
    .poll(async () => (await quire.cli(['exec', quire.notebook, 'print(slider.value, square.value)'])).stdout.trim())
    .toBe('9 81');
  for (const win of [one, two]) {
    await expect(win.page.getByLabel('Square')).toHaveValue('81');
  }
});

test('a second host process (its own replica) shows the same widgets and follows updates', async ({ quire }) => {
  const one = await quire.openWindow();
  await one.runAll();
  const other = await quire.openWindowInSecondHost();
  await other.expectSliderValue(7, DEMO_SLIDER);
  await one.pressOnSlider('ArrowLeft', DEMO_SLIDER);
  await other.expectSliderValue(6, DEMO_SLIDER);
  await other.pressOnSlider('ArrowLeft', DEMO_SLIDER);
  await one.expectSliderValue(5, DEMO_SLIDER);
});

test('a kernel-side update through `quire exec` appears in both windows and in `quire widgets`', async ({ quire }) => {
  const one = await quire.openWindow();
  await one.runAll();
  const two = await quire.openWindow();
  const result = await quire.cli(['exec', quire.notebook, 'slider.value = 2']);
  expect(result.code, result.stderr).toBe(0);
  await one.expectSliderValue(2, DEMO_SLIDER);
  await two.expectSliderValue(2, DEMO_SLIDER);
  const widgets = JSON.parse((await quire.cli(['widgets', quire.notebook, '--json'])).stdout) as { modelName: string; state: { value: unknown } }[];
  expect(widgets.find((w) => w.modelName === 'IntSliderModel')?.state.value).toBe(2);
});

test('a custom message from the kernel reaches the windows and never the doc', async ({ quire }) => {
  const one = await quire.openWindow();
  await one.runAll();
  const two = await quire.openWindow();
  await two.expectSliderValue(7, DEMO_SLIDER);
  // Listening is set up (awaited) before the kernel sends, so the message cannot come first.
  const listen = (win: typeof one) =>
    win.page.evaluate(() => {
      const got: unknown[] = [];
      (window as unknown as { __customs: unknown[] }).__customs = got;
      window.quire!.onCustom((m) => got.push(m.content));
    });
  const received = (win: typeof one) => win.page.evaluate(() => (window as unknown as { __customs: unknown[] }).__customs);
  await Promise.all([listen(one), listen(two)]);
  await expect.poll(async () => (await quire.cli(['exec', quire.notebook, 'slider.send({"ping": 42})'])).code).toBe(0);
  for (const win of [one, two]) await expect.poll(() => received(win)).toContainEqual({ ping: 42 });
  expect(JSON.stringify(await one.comms())).not.toContain('ping');
  expect((await quire.cli(['widgets', quire.notebook, '--json'])).stdout).not.toContain('ping');
});

test('a window opened after the widgets exist renders them all with no kernel round-trip', async ({ quire }) => {
  const first = await quire.openWindow();
  await first.runAll();
  const count = await first.sliders().count();
  // Keep the kernel busy so it could not answer a state request even if one were made.
  const held = heldCell(quire.home);
  const busy = quire.cli(['exec', quire.notebook, held.code]);
  await expect(first.kernelStatus()).toHaveAttribute('data-status', 'busy');
  const late = await quire.openWindow();
  await late.expectSliderValue(7, DEMO_SLIDER);
  await expect(late.sliders()).toHaveCount(count);
  await expect(late.kernelStatus()).toHaveAttribute('data-status', 'busy');
  await expect(late.page.getByRole('checkbox')).toBeChecked();
  held.release();
  await busy;
});
