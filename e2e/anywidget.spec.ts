// anywidget: front-end code from the widget's state (`_esm`, `_css`), run as a blob: module
// with anywidget's model API on the doc-backed manager — in every window.
import { writeFileSync } from 'node:fs';
import { test, expect } from './fixtures/quire';
import { kernel } from './fixtures/gallery';

const COUNTER = String.raw`
import anywidget, traitlets

class Counter(anywidget.AnyWidget):
    _esm = """
    export default {
      initialize({ model }) {
        // kernel -> front end custom message; answered with a front end -> kernel one
        model.on('msg:custom', (msg) => { if (msg.ping !== undefined) model.send({ pong: msg.ping }); });
      },
      render({ model, el, ...rest }) {
        const button = document.createElement('button');
        button.className = 'counter-button';
        // What the widget code was given: nothing but these names.
        button.dataset.props = Object.keys({ model, el, ...rest }).sort().join(',');
        button.dataset.api = Object.keys(model).sort().join(',');
        const show = () => { button.textContent = 'count is ' + model.get('value'); };
        button.addEventListener('click', () => { model.set('value', model.get('value') + 1); model.save_changes(); });
        model.on('change:value', show);
        show();
        el.append(button);
        return () => model.off('change:value', show);
      },
    };
    """
    _css = ".counter-button { color: rgb(0, 128, 0); }"
    value = traitlets.Int(0).tag(sync=True)

pongs = []
counter = Counter()
counter.on_msg(lambda widget, content, buffers: pongs.append(content))
counter
`;

test('an anywidget counter: renders from _esm/_css in two windows, clicks reach the kernel, custom messages round-trip, a new _esm re-renders', async ({ quire }) => {
  test.setTimeout(120_000);
  writeFileSync(
    quire.notebook,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [{ id: 'counter', cell_type: 'code', metadata: {}, source: COUNTER, execution_count: null, outputs: [] }],
    }),
  );
  const one = await quire.openWindow();
  await one.runAll();
  const two = await quire.openWindow();
  for (const win of [one, two]) {
    const button = win.page.locator('section.cell-code .counter-button');
    await expect(button).toHaveText('count is 0');
    await expect(button).toHaveCSS('color', 'rgb(0, 128, 0)'); // _css applied
    await expect(button).toHaveAttribute('data-props', 'el,experimental,model');
    await expect(button).toHaveAttribute('data-api', 'get,off,on,save_changes,send,set,widget_manager');
  }

  await one.page.locator('section.cell-code .counter-button').click();
  await two.page.locator('section.cell-code .counter-button').click();
  await expect.poll(() => kernel(quire, 'print(counter.value)')).toBe('2');
  for (const win of [one, two]) await expect(win.page.locator('section.cell-code .counter-button')).toHaveText('count is 2');
  await kernel(quire, 'counter.value = 40');
  for (const win of [one, two]) await expect(win.page.locator('section.cell-code .counter-button')).toHaveText('count is 40');

  // Custom messages: kernel -> every window -> kernel (each window answers once).
  await kernel(quire, "counter.send({'ping': 7})");
  await expect.poll(() => kernel(quire, 'print(sorted(p["pong"] for p in pongs))')).toBe('[7, 7]');
  const doc = JSON.stringify(await one.comms());
  expect(doc).not.toContain('"ping":'); // custom messages are ephemeral: not in the doc
  expect(doc).not.toContain('"pong":');

  // A new _esm replaces the module and re-renders every view.
  await kernel(quire, `counter._esm = "export default { render({ model, el }) { el.innerHTML = '<p class=\\"counter-v2\\">v2 at ' + model.get('value') + '</p>'; } }"`);
  for (const win of [one, two]) {
    await expect(win.page.locator('section.cell-code .counter-v2')).toHaveText('v2 at 40');
    await expect(win.page.locator('section.cell-code .counter-button')).toHaveCount(0);
  }
});
