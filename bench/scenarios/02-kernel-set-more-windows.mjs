// Scenario 2 — kernel `s.value = x` → DOM updated in a second window, and (Quire only) in a
// window of a second host process.
//
// Same notebook and loop as scenario 1 (lib/slider-loop.mjs), with two windows open, as
// JupyterLab has two tabs:
//  - Quire, second window: window 1 and window 2 are two pages on one `quire serve` (one replica
//    in that host).
//  - Quire, second host: window 1 on one `quire serve`, and a page on a second `quire serve`
//    process on the same notebook (its own replica of the daemon's doc). A separate run: with
//    three windows and two hosts open at once, Quire had a renderer and a host more than
//    JupyterLab's two tabs on the same 2 cores, and each window paid for the others.
//  - JupyterLab: tab 1 runs cell 0 and saves; tab 2 then opens the same notebook (its own
//    workspace). Tab 2 gets the widget models, and every update, through its own kernel
//    connection (iopub comm messages), as JupyterLab always does for a second tab.
// All windows observe at once; the loop runs from window 1 / tab 1.
// Goals (issue 7): second window ≤ JupyterLab + 5 ms; second host ≤ JupyterLab + 10 ms. The
// anchor for both is JupyterLab's second tab (JupyterLab has no second host process).
import path from 'node:path';
import { median, percentile } from '../lib/util.mjs';
import { writeNotebook } from '../lib/notebook.mjs';
import { runSliderLoop, sliderLoopCells, waitForSlider } from '../lib/slider-loop.mjs';

export const title = 'kernel w.value = x → DOM, second window / second host';

/** `second`: 'window' (a second page on the same host) or 'host' (a page on a second host). */
async function measureQuire(quire, options, second) {
  const notebook = path.join(quire.notebookDir, `s2-quire-${second}.ipynb`);
  const resultFile = path.join(quire.notebookDir, `s2-quire-${second}.json`);
  writeNotebook(notebook, sliderLoopCells({ resultFile, n: options.n, gapSeconds: 0.1 }));
  try {
    const window1 = await quire.openWindow(notebook);
    const other = await quire.openWindow(notebook, { host: second === 'host' ? 1 : 0 });
    await quire.runCell(window1, 0);
    const pages = { window1, [second === 'host' ? 'host2' : 'window2']: other };
    await waitForSlider(pages);
    await quire.waitIdle(window1);
    const hopTraceDir = second === 'window' ? options.hopTraceDir : undefined; // one host only: see lib/hops.mjs
    return await runSliderLoop({ app: quire, driver: window1, pages, resultFile, rounds: options.rounds, n: options.n, hopTraceDir });
  } finally {
    await quire.closeNotebook(notebook);
  }
}

async function measureJupyterLab(lab, options) {
  const notebook = path.join(lab.rootDir, 's2-jupyterlab.ipynb');
  const resultFile = path.join(lab.rootDir, 's2-jupyterlab.json');
  writeNotebook(notebook, sliderLoopCells({ resultFile, n: options.n, gapSeconds: 0.1 }));
  try {
    const window1 = await lab.openWindow(notebook);
    await lab.runCell(window1, 0);
    await waitForSlider({ window1 });
    await lab.waitIdle(window1);
    await lab.save(window1);
    const window2 = await lab.openWindow(notebook);
    const pages = { window1, window2 };
    await waitForSlider(pages);
    return await runSliderLoop({ app: lab, driver: window1, pages, resultFile, rounds: options.rounds, n: options.n });
  } finally {
    await lab.closeNotebook(notebook);
  }
}

export async function run({ quire, jupyterlab, options }) {
  const q = await measureQuire(quire, options, 'window');
  const h = await measureQuire(quire, options, 'host');
  const j = await measureJupyterLab(jupyterlab, options);
  const within = (ms) => (qv, jv) => qv <= jv + ms;
  const row = (metric, samplesQ, samplesJ, p, goalMs) => ({
    metric,
    unit: 'ms',
    quire: percentile(samplesQ, p),
    anchor: percentile(samplesJ, p),
    goal: within(goalMs),
    goalText: `≤ JL + ${goalMs} ms`,
  });
  return {
    rows: [
      row('kernel w.value=x → DOM, window 2 (same host), p50', q.samples.window2, j.samples.window2, 50, 5),
      row('kernel w.value=x → DOM, window 2 (same host), p95', q.samples.window2, j.samples.window2, 95, 5),
      row('kernel w.value=x → DOM, second host process, p50 (anchor: JL tab 2)', h.samples.host2, j.samples.window2, 50, 10),
      row('kernel w.value=x → DOM, second host process, p95 (anchor: JL tab 2)', h.samples.host2, j.samples.window2, 95, 10),
    ],
    details: {
      quire: q,
      quireSecondHost: h,
      jupyterlab: j,
      window1WithOthersOpen: { quireP50: median(q.samples.window1), quireSecondHostRunP50: median(h.samples.window1), jupyterlabP50: median(j.samples.window1) },
    },
  };
}
