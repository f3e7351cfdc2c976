// Scenario 3 — one cell creates 1000 IntSliders in a VBox → all rendered.
//
// Cell 0 (untimed setup, the same in both apps) imports ipywidgets and lifts the kernel's IOPub
// send high-water mark (ZeroMQ's default: 1000 messages per subscriber, then it silently drops).
// Cell 1 publishes ~3000 comm_opens in one burst (each IntSlider brings a Layout and a
// SliderStyle); with the default, whenever the subscriber (Jupyter server or Quire daemon) falls
// ~3000 messages behind on this 2-core machine, some comm_opens, comm_closes or the status:idle
// are lost before any front end sees them: JupyterLab then shows "Click to show javascript
// error." ("widget model not found" for a VBox child), Quire "widget could not be displayed", the
// cleared sliders stay, or a cell never finishes. Cell 0 records the value it set; the scenario
// stops if it is not 0.
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
// where the time went. A failed repetition is recorded (screenshot, the page's error texts with
// ipywidgets' error widgets clicked open, the page's console errors) and ends that app's
// repetitions.
// Goal (issue 7): < 1 s and ≤ JupyterLab.
import path from 'node:path';
import { BENCH_DIR, log, median, percentile, removeFile, sleep, waitForJsonFile } from '../lib/util.mjs';
import { py, writeNotebook } from '../lib/notebook.mjs';
import { armSliderCount, countSliders, waitForArmedCount } from '../lib/browser.mjs';
import { cpuDelta, cpuSnapshot, pageTaskMs } from '../lib/cpu.mjs';

export const title = 'one cell creates 1000 IntSliders → all rendered';
const COUNT = 1000;

const cells = (resultFile, setupFile) => [
  [
    'import ipywidgets as w, time, json, threading, zmq',
    // The socket belongs to ipykernel's IOPub thread: change it there (ZeroMQ sockets are not
    // thread-safe). libzmq applies a changed HWM to already connected subscribers too.
    '_iopub = get_ipython().kernel.iopub_thread',
    '_hwm, _hwm_set = [], threading.Event()',
    '_iopub.schedule(lambda: (_iopub.socket.setsockopt(zmq.SNDHWM, 0), _hwm.append(_iopub.socket.getsockopt(zmq.SNDHWM)), _hwm_set.set()))',
    '_hwm_set.wait(10)',
    `json.dump({'iopubSndhwm': _hwm[0] if _hwm else None}, open(${py(setupFile)}, 'w'))`,
  ].join('\n'),
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
  const setupFile = path.join(dir, `s3-${app.name}-setup.json`);
  removeFile(setupFile);
  writeNotebook(notebook, cells(resultFile, setupFile));
  const times = [];
  const kernel = [];
  const cpu = [];
  const failures = [];
  const consoleErrors = [];
  let setup = null;
  let page;
  try {
    page = await app.openWindow(notebook);
    // The page's console errors and uncaught exceptions (last few; for failure reports).
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`[${new Date().toISOString()}] console.error: ${m.text().slice(0, 2000)}`);
      if (consoleErrors.length > 20) consoleErrors.shift();
    });
    page.on('pageerror', (e) => {
      consoleErrors.push(`[${new Date().toISOString()}] uncaught: ${(e.stack ?? e.message).slice(0, 2000)}`);
      if (consoleErrors.length > 20) consoleErrors.shift();
    });
    await app.runCell(page, 0);
    await app.waitIdle(page);
    setup = await waitForJsonFile(setupFile, 30_000);
    if (setup.iopubSndhwm !== 0) throw new Error(`${app.name}: could not lift the kernel's IOPub high-water mark (${JSON.stringify(setup)})`);
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
        // ipywidgets' ErrorWidgetView shows "Click to show javascript error."; a click on it
        // swaps in the message and the stack. Click them all, then read every error text.
        const pageErrors = await page
          .evaluate(async () => {
            for (const pre of document.querySelectorAll('.jupyter-widgets-error-widget pre')) pre.click();
            await new Promise((r) => setTimeout(r, 100));
            return [...document.querySelectorAll('pre')].map((x) => x.textContent).filter((t) => /error/i.test(t)).join('\n').slice(-3000);
          })
          .catch(() => '');
        const state = await app.describeState(page).catch(() => null);
        const kernelSide = await waitForJsonFile(resultFile, 1000).catch(() => null);
        failures.push({ rep, error: e.message.split('\n')[0], state, pageErrors, consoleErrors: [...consoleErrors], kernel: kernelSide, screenshot: path.relative(BENCH_DIR, shot) });
        break;
      }
    }
  } finally {
    await app.closeNotebook(notebook);
  }
  return { setup, cold: times[0] ?? null, warm: times.slice(1), kernel, cpuMsPerRep: cpu, failures };
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
