// Saved widget state and outputs are untrusted: a notebook file can carry any HTML. It is
// shown sanitized — no script runs, no frame loads, the window does not navigate away.
// Widgets Quire cannot render show a placeholder naming them, and the rest still renders.
import { writeFileSync } from 'node:fs';
import { test, expect } from './fixtures/quire';

const HOSTILE = [
  '<b id="bold">bold survives</b>',
  '<img src="x" onerror="window.__pwned = \'img\'">',
  '<iframe srcdoc="<script>parent.__pwned = \'iframe\'</script>"></iframe>',
  '<meta http-equiv="refresh" content="0;url=about:blank#navigated">',
  '<style>body { display: none !important }</style>',
].join('');

/** A notebook file holding saved widget state (as JupyterLab writes it) and code cells with these outputs. */
function writeSavedNotebook(path: string, widgetState: Record<string, unknown>, cellOutputs: Record<string, unknown[]>): void {
  writeFileSync(
    path,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        widgets: { 'application/vnd.jupyter.widget-state+json': { version_major: 2, version_minor: 0, state: widgetState } },
      },
      cells: Object.entries(cellOutputs).map(([id, outputs]) => ({
        id,
        cell_type: 'code',
        metadata: {},
        source: '',
        execution_count: null,
        outputs,
      })),
    }),
  );
}

const widgetView = (modelId: string) => ({
  output_type: 'display_data',
  metadata: {},
  data: { 'application/vnd.jupyter.widget-view+json': { version_major: 2, version_minor: 0, model_id: modelId } },
});

test('hostile HTML in saved widget state and outputs is shown sanitized', async ({ quire }) => {
  const state = (name: string, extra: Record<string, unknown>) => ({
    model_name: name,
    model_module: name === 'LayoutModel' ? '@jupyter-widgets/base' : '@jupyter-widgets/controls',
    model_module_version: '2.0.0',
    state: { _model_name: name, ...extra },
  });
  writeSavedNotebook(
    quire.notebook,
    {
      layout1: state('LayoutModel', {}),
      html1: state('HTMLModel', { value: HOSTILE, layout: 'IPY_MODEL_layout1', _view_name: 'HTMLView', _view_module: '@jupyter-widgets/controls', _view_module_version: '2.0.0' }),
    },
    { w: [widgetView('html1'), { output_type: 'display_data', metadata: {}, data: { 'text/html': HOSTILE } }] },
  );
  const win = await quire.openWindow();
  await expect(win.page.locator('#bold')).toHaveCount(2); // the widget and the output
  await win.page.waitForTimeout(1000); // give a refresh or onerror the chance to fire
  expect(await win.page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  expect(await win.page.locator('iframe, meta[http-equiv], style:not([data-vite-dev-id])').evaluateAll((els) => els.filter((e) => e.closest('.cell')).length)).toBe(0);
  expect(win.page.url()).not.toContain('#navigated');
  await expect(win.page.locator('body')).toBeVisible();
});

test('a widget from an unknown module shows a placeholder naming it; the other widgets render', async ({ quire }) => {
  writeSavedNotebook(
    quire.notebook,
    {
      fancy: { model_name: 'FancyModel', model_module: 'fancy-widgets', model_module_version: '^1.2.0', state: { _view_name: 'FancyView', _view_module: 'fancy-widgets', _view_module_version: '^1.2.0' } },
      s1: { model_name: 'IntSliderModel', model_module: '@jupyter-widgets/controls', model_module_version: '2.0.0', state: { value: 6, max: 10, _view_name: 'IntSliderView', _view_module: '@jupyter-widgets/controls', _view_module_version: '2.0.0' } },
    },
    Object.fromEntries(['fancy', 'missing-model', 's1'].map((id) => [`cell-${id}`, [widgetView(id)]])),
  );
  const win = await quire.openWindow();
  await expect(win.page.getByText(/Widget unavailable: FancyModel from fancy-widgets@\^1\.2\.0/)).toBeVisible();
  await expect(win.page.getByText(/widget model not found: missing-model/)).toBeVisible();
  await win.expectSliderValue(6);
});
