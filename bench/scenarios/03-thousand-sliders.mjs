// Scenario 3 — one cell creates 1000 IntSliders in a VBox → all rendered.
//
// Cell 1 builds `w.VBox([w.IntSlider(...) for 1000])`, tags the box with a per-repetition CSS
// class and displays it. Timed in the page: from just before the cell is run (Quire: its Run
// button is clicked; JupyterLab: `notebook:run-cell`, what Shift+Enter does) until a
// requestAnimationFrame check counts 1000 `[role=slider]` inside that box. Between repetitions
// cell 2 closes the box and its sliders (untimed), so each repetition starts from an empty
// output. The cell also records, in the kernel, when it started and finished creating the
// widgets (details: kernel vs. front-end share of the time). The first repetition is a
// warm-up (cold widget code; reported in details only).
// Goal (issue 7): < 1 s and ≤ JupyterLab.
import path from 'node:path';
import { median, percentile, removeFile, sleep, waitForJsonFile } from '../lib/util.mjs';
import { py, writeNotebook } from '../lib/notebook.mjs';
import { armSliderCount, countSliders, waitForArmedCount } from '../lib/browser.mjs';

export const title = 'one cell creates 1000 IntSliders → all rendered';
const COUNT = 1000;

const cells = (resultFile) => [
  'import ipywidgets as w, time, json',
  [
    "_rep = globals().get('_rep', 0) + 1",
    '_start = time.time() * 1000',
    `_box = w.VBox([w.IntSlider(value=i % 100, max=100) for i in range(${COUNT})])`,
    "_box.add_class(f'bench-box-{_rep}')",
    `json.dump({'rep': _rep, 'start': _start, 'end': time.time() * 1000}, open(${py(resultFile)}, 'w'))`,
    '_box',
  ].join('\n'),
  ['for _c in _box.children:', '    _c.close()', '_box.close()', "'cleared'"].join('\n'),
];

async function measure(app, dir, options) {
  const notebook = path.join(dir, `s3-${app.name}.ipynb`);
  const resultFile = path.join(dir, `s3-${app.name}.json`);
  writeNotebook(notebook, cells(resultFile));
  const times = [];
  const kernel = [];
  try {
    const page = await app.openWindow(notebook);
    await app.runCell(page, 0);
    await app.waitIdle(page);
    for (let rep = 1; rep <= options.rounds + 1; rep++) {
      removeFile(resultFile);
      await armSliderCount(page, `.bench-box-${rep}`, COUNT);
      const t0 = await app.runCell(page, 1);
      const t1 = await waitForArmedCount(page);
      times.push(t1 - t0);
      const k = await waitForJsonFile(resultFile);
      kernel.push({ startAfterRun: k.start - t0, createMs: k.end - k.start, renderedAfterKernelDone: t1 - k.end });
      await app.waitIdle(page);
      await app.runCell(page, 2);
      await app.waitIdle(page);
      const deadline = Date.now() + 60_000;
      while ((await countSliders(page)) > 0 && Date.now() < deadline) await sleep(100);
    }
  } finally {
    await app.closeNotebook(notebook);
  }
  return { cold: times[0], warm: times.slice(1), kernel };
}

export async function run({ quire, jupyterlab, options }) {
  const q = await measure(quire, quire.notebookDir, options);
  const j = await measure(jupyterlab, jupyterlab.rootDir, options);
  const goal = (qv, jv) => qv < 1000 && qv <= jv;
  return {
    rows: [
      { metric: '1000 IntSliders in one cell → all rendered, median', unit: 'ms', quire: median(q.warm), anchor: median(j.warm), goal, goalText: '< 1 s and ≤ JL' },
      { metric: '1000 IntSliders in one cell → all rendered, p95', unit: 'ms', quire: percentile(q.warm, 95), anchor: percentile(j.warm, 95), goal, goalText: '< 1 s and ≤ JL' },
    ],
    details: { quire: q, jupyterlab: j },
  };
}
