// Scenario 6 — drag a slider at 60 Hz for 10 s; after release, how long until the kernel and
// every window hold the final value (no backlog).
//
// Cell 0 displays an IntSlider (0…1000, 600 px wide) and, in the kernel, records every value the
// front end sends (`s.observe`, with the kernel's time.time()). In each page a MutationObserver
// records every aria-valuenow the slider shows, with the page's wall clock (the same clock).
// Playwright presses the mouse on the slider's handle in window 1 and moves it every 1/60 s for
// 10 s (sweeping back and forth over 300 px from 0; cell 2 resets the slider to 0 before each
// drag), then releases it; the harness notes the wall-clock
// time just before the release. Three seconds later cell 1 dumps the kernel's record.
//   final value   = what window 1's slider shows after the release
//   settle time   = max over {kernel, every window} of (the time it last took on the final
//                   value − release), 0 when it already held it at release; a place that never
//                   took on the final value counts as a failed round (reported, not timed).
// Quire: window 1 and window 2 are two pages on one `quire serve` (window 2 gets the drag through
// the host's replica, like scenario 2). JupyterLab: one tab and its kernel (the anchor).
// One warm-up drag is discarded; `rounds` drags are kept. Details: per round, the settle time
// of each place, the number of mouse moves and of values the kernel received.
// Goal (issue 7): no backlog — kernel and every window hold the final value < 100 ms after release.
import path from 'node:path';
import { median, nowMs, percentile, removeFile, sleep, waitForJsonFile } from '../lib/util.mjs';
import { py, writeNotebook } from '../lib/notebook.mjs';
import { waitForSlider } from '../lib/slider-loop.mjs';

export const title = 'drag a slider at 60 Hz for 10 s → kernel and every window hold the final value';
const DRAG_MS = 10_000;
const HZ = 60;

const cells = (resultFile) => [
  [
    'import ipywidgets as w, time, json, os, sys',
    "s = w.IntSlider(value=0, min=0, max=1000, layout=w.Layout(width='600px'))",
    '_log = []',
    "s.observe(lambda ch: _log.append((time.time() * 1000, ch['new'])), 'value')",
    's',
  ].join('\n'),
  [
    `with open(${py(resultFile)} + '.tmp', 'w') as f:`,
    "    json.dump({'log': _log, 'python': sys.executable}, f)",
    `os.replace(${py(resultFile)} + '.tmp', ${py(resultFile)})`,
    '_log = []',
  ].join('\n'),
  's.value = 0',
];

async function installRecorder(page) {
  await page.evaluate(() => {
    window.__benchTrace = [];
    new MutationObserver((records) => {
      const t = performance.timeOrigin + performance.now();
      // Only sliders: JupyterLab's toolbar has progress bars with aria-valuenow too.
      for (const r of records) if (r.target.getAttribute('role') === 'slider') window.__benchTrace.push([t, Number(r.target.getAttribute('aria-valuenow'))]);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
}

const takeTrace = (page) => page.evaluate(() => window.__benchTrace.splice(0));

/** When a place last took on `value`, if it still holds it at the end of its trace. */
function settledAt(trace, value) {
  if (trace.length === 0 || trace.at(-1)[1] !== value) return null;
  let i = trace.length - 1;
  while (i > 0 && trace[i - 1][1] === value) i--;
  return trace[i][0];
}

async function drag(page) {
  const handle = page.locator('[role=slider]').first();
  const box = await handle.boundingBox();
  if (!box) throw new Error('the slider handle has no box');
  const x0 = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x0, y);
  await page.mouse.down();
  const start = nowMs();
  let moves = 0;
  for (let k = 1; ; k++) {
    const due = start + (k * 1000) / HZ;
    if (due - start > DRAG_MS) break;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    // 0 → 300 px → 0 every 2.3 s: ends somewhere in the middle, not where it started.
    const phase = ((due - start) % 2300) / 2300;
    await page.mouse.move(x0 + 300 * (phase < 0.5 ? 2 * phase : 2 - 2 * phase), y);
    moves++;
  }
  const released = nowMs();
  await page.mouse.up();
  return { released, moves };
}

async function measure(app, dir, options, windows) {
  const notebook = path.join(dir, `s6-${app.name}.ipynb`);
  const resultFile = path.join(dir, `s6-${app.name}.json`);
  writeNotebook(notebook, cells(resultFile));
  const rounds = [];
  let python = null;
  try {
    const pages = { window1: await app.openWindow(notebook) };
    if (windows > 1) pages.window2 = await app.openWindow(notebook);
    await app.runCell(pages.window1, 0);
    await waitForSlider(pages);
    await app.waitIdle(pages.window1);
    for (const page of Object.values(pages)) await installRecorder(page);
    for (let round = 0; round <= options.rounds; round++) {
      // Every drag starts from 0: a handle left at the end of the track would clamp the sweep.
      await app.runCell(pages.window1, 2);
      await app.waitIdle(pages.window1);
      for (const page of Object.values(pages)) {
        await page.waitForFunction(() => Number(document.querySelector('[role=slider]')?.getAttribute('aria-valuenow')) === 0, null, { timeout: 30_000 });
      }
      await sleep(200);
      for (const page of Object.values(pages)) await takeTrace(page);
      const { released, moves } = await drag(pages.window1);
      await sleep(3000);
      const final = Number(await pages.window1.locator('[role=slider]').first().getAttribute('aria-valuenow'));
      removeFile(resultFile);
      await app.runCell(pages.window1, 1);
      const k = await waitForJsonFile(resultFile, 60_000);
      python = k.python;
      await app.waitIdle(pages.window1);
      const traces = { kernel: k.log };
      for (const [label, page] of Object.entries(pages)) traces[label] = await takeTrace(page);
      const places = Object.fromEntries(Object.entries(traces).map(([label, trace]) => [label, settledAt(trace, final)]));
      const settle = Object.fromEntries(Object.entries(places).map(([label, t]) => [label, t === null ? null : Math.max(0, t - released)]));
      const failed = Object.values(settle).some((v) => v === null);
      if (round === 0) continue; // warm-up
      // For a place that never settled: the last values it showed, relative to the release.
      const tails = Object.fromEntries(Object.entries(traces).filter(([label]) => settle[label] === null).map(([label, t]) => [label, t.slice(-5).map(([time, v]) => [Math.round(time - released), v])]));
      rounds.push({ final, moves, kernelReceived: k.log.length, settleMs: settle, worstMs: failed ? null : Math.max(...Object.values(settle)), ...(failed ? { tails } : {}) });
    }
  } finally {
    await app.closeNotebook(notebook);
  }
  return { python, rounds };
}

export async function run({ quire, jupyterlab, options }) {
  const q = await measure(quire, quire.notebookDir, options, 2);
  const j = await measure(jupyterlab, jupyterlab.rootDir, options, 1);
  const worst = (r) => r.rounds.map((x) => x.worstMs).filter((v) => v !== null);
  const failed = (r) => r.rounds.filter((x) => x.worstMs === null).length;
  const goal = (qv) => qv < 100;
  return {
    rows: [
      { metric: 'drag 60 Hz × 10 s, release → kernel + every window hold final value, median (Quire: 2 windows; JL: 1 tab)', unit: 'ms', quire: median(worst(q)), anchor: median(worst(j)), goal, goalText: '< 100 ms' },
      { metric: 'drag 60 Hz × 10 s, release → kernel + every window hold final value, max', unit: 'ms', quire: percentile(worst(q), 100), anchor: percentile(worst(j), 100), goal, goalText: '< 100 ms' },
      { metric: `drag: rounds where a place never held the final value (of ${options.rounds})`, unit: 'count', quire: failed(q), anchor: failed(j) },
    ],
    details: { quire: q, jupyterlab: j },
  };
}
