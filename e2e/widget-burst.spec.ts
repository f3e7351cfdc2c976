// Bursts of widgets: one cell makes a box of 1000 IntSliders (3000 comms with their layouts and
// styles), the next closes them. Every round must render all 1000, then clear them all, with no
// widget error. Before the daemon lifted ipykernel's IOPub send limit (src-daemon/kernels/
// iopub-limit.ts) the kernel silently dropped part of such a burst on a busy machine: this spec
// failed within 2–7 rounds (closed sliders left on screen, or a box missing its children).
// QUIRE_BURST_ROUNDS=25 runs it longer.
import { test, expect } from './fixtures/quire';
import { writeNotebook } from './fixtures/notebooks';

const ROUNDS = Number(process.env.QUIRE_BURST_ROUNDS ?? 5);

test(`1000 sliders made and closed ${ROUNDS} times: each box renders whole, then clears`, async ({ quire }) => {
  test.setTimeout(60_000 + ROUNDS * 60_000);
  writeNotebook(quire.notebook, [
    { source: 'import ipywidgets as w' },
    {
      source: [
        "_round = globals().get('_round', 0) + 1",
        '_box = w.VBox([w.IntSlider(value=i % 100, max=100) for i in range(1000)])',
        "_box.add_class(f'burst-{_round}')",
        '_box',
      ].join('\n'),
    },
    { source: 'for _c in _box.children:\n    _c.close()\n_box.close()' },
  ]);
  const win = await quire.openWindow();
  const errors: string[] = [];
  win.page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  win.page.on('pageerror', (e) => errors.push(String(e.stack ?? e)));
  await win.waitForNotebook();
  await win.runCell(0);
  await expect(win.codeCell(0).locator('.prompt')).toHaveText(/^\[1\]:/, { timeout: 60_000 });

  /** Sliders in the doc against sliders the kernel still holds, for a failure message. */
  const counts = async () => {
    const doc = (await win.comms()).filter((c) => c.modelName === 'IntSliderModel').length;
    const k = await quire.cli(['exec', quire.notebook, 'print(sum(type(x).__name__ == "IntSlider" for x in list(w.widgets.Widget.widgets.values())))']);
    return `the doc has ${doc} sliders, the kernel ${k.stdout.trim() || k.stderr.trim()}`;
  };
  for (let round = 1; round <= ROUNDS; round++) {
    await win.runCell(1);
    await expect(win.page.locator(`.burst-${round} [role=slider]`), `round ${round}: the box renders all 1000 sliders`)
      .toHaveCount(1000, { timeout: 60_000 })
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await counts()}`);
      });
    await win.runCell(2);
    await expect(win.sliders(), `round ${round}: the closed sliders leave the page`)
      .toHaveCount(0, { timeout: 30_000 })
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await counts()}`);
      });
    expect(errors, `round ${round}: no errors in the window`).toEqual([]);
    await expect(win.page.locator('.quire-widget-placeholder, .jupyter-widgets-error-widget')).toHaveCount(0);
  }
});
