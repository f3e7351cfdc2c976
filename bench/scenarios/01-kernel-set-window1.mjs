// Scenario 1 — kernel `s.value = x` → DOM updated in the (only) window.
//
// Each app opens a fresh notebook in one window, runs cell 0 (displays an IntSlider), then runs
// cell 1: 30 sets of `s.value`, 100 ms apart, with the kernel's time.time() recorded before each
// set. A MutationObserver in the page timestamps each new aria-valuenow. One warm-up round is
// discarded; `rounds` rounds are kept. Reported: p50 and p95 of (page time − kernel time).
// Goal (issue 7): Quire ≤ JupyterLab + 5 ms, at p50 and at p95.
import path from 'node:path';
import { median, percentile } from '../lib/util.mjs';
import { writeNotebook } from '../lib/notebook.mjs';
import { runSliderLoop, sliderLoopCells, waitForSlider } from '../lib/slider-loop.mjs';

export const title = 'kernel w.value = x → DOM, window 1';

async function measure(app, dir, options) {
  const notebook = path.join(dir, `s1-${app.name}.ipynb`);
  const resultFile = path.join(dir, `s1-${app.name}.json`);
  writeNotebook(notebook, sliderLoopCells({ resultFile, n: options.n, gapSeconds: 0.1 }));
  try {
    const window1 = await app.openWindow(notebook);
    await app.runCell(window1, 0);
    await waitForSlider({ window1 });
    await app.waitIdle(window1);
    const hopTraceDir = app.name === 'quire' ? options.hopTraceDir : undefined;
    return await runSliderLoop({ app, driver: window1, pages: { window1 }, resultFile, rounds: options.rounds, n: options.n, hopTraceDir });
  } finally {
    await app.closeNotebook(notebook);
  }
}

export async function run({ quire, jupyterlab, options }) {
  const q = await measure(quire, quire.notebookDir, options);
  const j = await measure(jupyterlab, jupyterlab.rootDir, options);
  const goal = (qv, jv) => qv <= jv + 5;
  return {
    rows: [
      { metric: 'kernel w.value=x → DOM, window 1, p50', unit: 'ms', quire: median(q.samples.window1), anchor: median(j.samples.window1), goal, goalText: '≤ JL + 5 ms' },
      { metric: 'kernel w.value=x → DOM, window 1, p95', unit: 'ms', quire: percentile(q.samples.window1, 95), anchor: percentile(j.samples.window1, 95), goal, goalText: '≤ JL + 5 ms' },
    ],
    details: { quire: q, jupyterlab: j },
  };
}
