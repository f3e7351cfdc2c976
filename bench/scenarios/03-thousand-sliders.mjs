// Scenario 3 — one cell creates 1000 IntSliders in a VBox → all rendered.
//
// Cell 1 builds `w.VBox([w.IntSlider(...) for 1000])`, tags the box with a per-repetition CSS
// class and displays it. Timed in the page: from just before the cell is run (Quire: its Run
// button is clicked; JupyterLab: `notebook:run-cell`, what Shift+Enter does) until a
// requestAnimationFrame check counts 1000 `[role=slider]` inside that box. Between repetitions
// cell 2 closes the box and its sliders (untimed), so each repetition starts from an empty
// output. The cell also records, in the kernel, when it started and finished creating the
// widgets (details: kernel vs. front-end share of the time). The first repetition is a
// warm-up (cold widget code; reported in details only). Details also hold, per repetition, the
// CPU ms each process spent (kernel, daemon/host or Jupyter server, the page's main thread) —
// where the time went.
// Goal (issue 7): < 1 s and ≤ JupyterLab.
import path from 'node:path';
import { BENCH_DIR, log, median, percentile, removeFile, sleep, waitForJsonFile } from '../lib/util.mjs';
import { py, writeNotebook } from '../lib/notebook.mjs';
import { armSliderCount, countSliders, waitForArmedCount } from '../lib/browser.mjs';
import { cpuDelta, cpuSnapshot, pageTaskMs } from '../lib/cpu.mjs';

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
  const cpu = [];
  const failures = [];
  let page;
  try {
    page = await app.openWindow(notebook);
    await app.runCell(page, 0);
    await app.waitIdle(page);
    async function repetition(rep) {
      removeFile(resultFile);
      await armSliderCount(page, `.bench-box-${rep}`, COUNT);
      const pids = await app.processes(notebook);
      const cpu0 = cpuSnapshot(pids);
      const page0 = await pageTaskMs(page);
      const t0 = await app.runCell(page, 1);
      const t1 = await waitForArmedCount(page, `.bench-box-${rep}`);
      times.push(t1 - t0);
      const page1 = await pageTaskMs(page);
      cpu.push({ ...cpuDelta(cpu0, cpuSnapshot(pids)), pageMainThread: page1.task - page0.task, pageScript: page1.script - page0.script, pageLayoutAndStyle: page1.layout - page0.layout + page1.style - page0.style });
      const k = await waitForJsonFile(resultFile);
      kernel.push({ startAfterRun: k.start - t0, createMs: k.end - k.start, renderedAfterKernelDone: t1 - k.end });
      await app.waitIdle(page, 60_000);
      await app.runCell(page, 2);
      await app.waitIdle(page, 60_000);
      const deadline = Date.now() + 60_000;
      while ((await countSliders(page)) > 0) {
        if (Date.now() > deadline) throw new Error('the cleared sliders were still shown after 60 s');
        await sleep(100);
      }
    }
    for (let rep = 1; rep <= options.rounds + 1; rep++) {
      try {
        await repetition(rep);
      } catch (e) {
        // Recorded, not fatal: the other app and scenarios still run (README: "flaky").
        const shot = path.join(BENCH_DIR, 'results', `s3-${app.name}-failed-rep${rep}.png`);
        await page.screenshot({ path: shot }).catch(() => undefined);
        const pageErrors = await page
          .evaluate(() => [...document.querySelectorAll('pre')].map((x) => x.textContent).filter((t) => /error/i.test(t)).join('\n').slice(-1500))
          .catch(() => '');
        const state = await app.describeState(page).catch(() => null);
        const kernelSide = await waitForJsonFile(resultFile, 1000).catch(() => null);
        failures.push({ rep, error: e.message.split('\n')[0], state, pageErrors, kernel: kernelSide, screenshot: path.relative(BENCH_DIR, shot) });
        break;
      }
    }
  } finally {
    await app.closeNotebook(notebook);
  }
  return { cold: times[0] ?? null, warm: times.slice(1), kernel, cpuMsPerRep: cpu, failures };
}

export async function run({ quire, jupyterlab, options }) {
  const q = await measure(quire, quire.notebookDir, options);
  const j = await measure(jupyterlab, jupyterlab.rootDir, options);
  for (const [name, r] of [['quire', q], ['jupyterlab', j]]) {
    for (const f of r.failures) log(`scenario 3, ${name}: repetition ${f.rep} failed: ${f.error} (state: ${JSON.stringify(f.state)})`);
  }
  const goal = (qv, jv) => qv < 1000 && qv <= jv;
  return {
    rows: [
      { metric: '1000 IntSliders in one cell → all rendered, median', unit: 'ms', quire: median(q.warm), anchor: median(j.warm), goal, goalText: '< 1 s and ≤ JL' },
      { metric: '1000 IntSliders in one cell → all rendered, p95', unit: 'ms', quire: percentile(q.warm, 95), anchor: percentile(j.warm, 95), goal, goalText: '< 1 s and ≤ JL' },
      { metric: `1000 IntSliders: repetitions that failed (timed out) (of ${options.rounds + 1})`, unit: 'count', quire: q.failures.length, anchor: j.failures.length },
    ],
    details: { quire: q, jupyterlab: j },
  };
}
