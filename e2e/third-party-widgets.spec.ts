// Third-party widget libraries: ipyevents (pinned in scripts/kernel-requirements.txt) ships
// only a JupyterLab federated extension in .venv/share/jupyter/labextensions/ipyevents. Quire
// loads it from there (no CDN) in every window, and a module nobody provides shows a
// placeholder naming it while the rest of the notebook renders.
//
// Why clicks: an ipyevents Event has no view of its own; its model attaches DOM listeners to
// another widget's views and reports events to the kernel as custom messages. An HTML widget
// reacts to no click at all, so a click reaching the kernel proves the library's own code ran
// in that window.
import { test, expect } from './fixtures/quire';
import { kernel } from './fixtures/gallery';
import { writeNotebook } from './fixtures/notebooks';

const EVENTS = [
  'import ipywidgets as w',
  'from ipyevents import Event',
  "target = w.HTML('<div class=\"ipyevents-target\" style=\"width:240px;height:60px;background:#ddd\">click me</div>')",
  'clicks = []',
  "events = Event(source=target, watched_events=['click'])",
  "events.on_dom_event(lambda e: clicks.append(e['type']))",
  'target',
];

const MISSING = [
  'import traitlets',
  'class Missing(w.DOMWidget):',
  "    _model_name = traitlets.Unicode('MissingModel').tag(sync=True)",
  "    _model_module = traitlets.Unicode('quire-test-no-such-library').tag(sync=True)",
  "    _model_module_version = traitlets.Unicode('^1.0.0').tag(sync=True)",
  "    _view_name = traitlets.Unicode('MissingView').tag(sync=True)",
  "    _view_module = traitlets.Unicode('quire-test-no-such-library').tag(sync=True)",
  "    _view_module_version = traitlets.Unicode('^1.0.0').tag(sync=True)",
  'display(Missing())',
  "display(w.IntSlider(value=3, description='after'))",
];

test('ipyevents loads from the kernel environment in two windows; an unknown module shows a named placeholder', async ({ quire }) => {
  test.setTimeout(120_000);
  writeNotebook(quire.notebook, [{ source: EVENTS }, { source: MISSING }]);
  const one = await quire.openWindow();
  await one.runAll();
  const two = await quire.openWindow();

  for (const [i, win] of [one, two].entries()) {
    const target = win.codeCell(0).locator('.ipyevents-target');
    await expect(target).toBeVisible({ timeout: 15_000 });
    await expect(win.codeCell(0).locator('.quire-widget-placeholder')).toHaveCount(0);
    // The library's listener is attached once its module is loaded: click until the kernel hears it.
    const before = Number(await kernel(quire, 'print(len(clicks))'));
    if (i === 0) expect(before).toBe(0);
    await expect
      .poll(
        async () => {
          await target.click();
          return Number(await kernel(quire, 'print(len(clicks))'));
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(before);
    expect(await kernel(quire, 'print(set(clicks))')).toBe("{'click'}");

    const missing = win.codeCell(1).locator('.quire-widget-unavailable');
    await expect(missing).toContainText('MissingModel from quire-test-no-such-library@^1.0.0');
    await expect(missing).toContainText('no widget library installed in the kernel\'s environment provides module quire-test-no-such-library');
    await expect(missing).toContainText('ipyevents'); // what was found instead
    await expect(win.codeCell(1).getByRole('slider')).toHaveAttribute('aria-valuenow', /^3(\.0)?$/);
  }
});
