// Scenario 8 — memory added by a second window on the same notebook.
//
// Each app opens a notebook whose cell 0 displays 50 IntSliders, in window 1, and runs it. Then a
// second window opens on the same notebook (Quire: a second page on the same `quire serve`, which
// shares that host's replica; JupyterLab: a second tab, its own workspace, after a save — as in
// scenario 2) and waits until it shows the 50 sliders; after 2 s and a forced garbage collection
// in that page, the harness reads:
//   - the new renderer process's memory: PSS from /proc/<pid>/smaps_rollup of the Chromium
//     renderer processes that appeared when window 2 opened (each browser context gets its own);
//   - window 2's JS heap in use (CDP Performance.getMetrics JSHeapUsedSize, after
//     HeapProfiler.collectGarbage);
//   - what the app's server side grew by (RSS of Quire's host process / the Jupyter server).
// Reported: renderer PSS + server growth (the memory a second window costs the machine), and
// window 2's JS heap; the parts (server growth is within GC noise: a few MB either way) are in
// the details. Median of `rounds` openings of window 2 (closed in between).
// Goal (issue 7): report; ≤ JupyterLab's second tab.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { median, sleep } from '../lib/util.mjs';
import { writeNotebook } from '../lib/notebook.mjs';
import { closeWindow } from '../lib/browser.mjs';
import { countSliders } from '../lib/browser.mjs';

export const title = 'memory added by a second window';
const SLIDERS = 50;
const MB = 2 ** 20;

function procTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      table.set(Number(entry), { ppid, cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8') });
    } catch {
      /* gone */
    }
  }
  return table;
}

/** Chromium renderer processes started by this harness (descendants of this node process). */
function ourRenderers() {
  const table = procTable();
  const mine = (pid) => {
    for (let p = pid, i = 0; p > 1 && i < 20; p = table.get(p)?.ppid ?? 0, i++) if (p === process.pid) return true;
    return false;
  };
  return [...table].filter(([pid, x]) => x.cmd.includes('--type=renderer') && mine(pid)).map(([pid]) => pid);
}

function kib(pid, file, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
const pss = (pid) => kib(pid, 'smaps_rollup', 'Pss');
const rss = (pid) => kib(pid, 'status', 'VmRSS');

async function jsHeapAfterGc(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
}

async function measure(app, dir, options, serverPids) {
  const notebook = path.join(dir, `s8-${app.name}.ipynb`);
  writeNotebook(notebook, [`import ipywidgets as w\nw.VBox([w.IntSlider(value=i) for i in range(${SLIDERS})])`]);
  const samples = [];
  try {
    const window1 = await app.openWindow(notebook);
    await app.runCell(window1, 0);
    await window1.waitForFunction((n) => document.querySelectorAll('[role=slider]').length >= n, SLIDERS, { timeout: 60_000 });
    await app.waitIdle(window1);
    if (app.save) await app.save(window1);
    for (let round = 0; round <= options.rounds; round++) {
      await sleep(1000);
      const servers = serverPids(notebook);
      const server0 = servers.reduce((s, p) => s + rss(p), 0);
      const renderers0 = new Set(ourRenderers());
      const window2 = await app.openWindow(notebook);
      const deadline = Date.now() + 60_000;
      while ((await countSliders(window2)) < SLIDERS) {
        if (Date.now() > deadline) throw new Error(`${app.name}: window 2 never showed the ${SLIDERS} sliders`);
        await sleep(100);
      }
      await sleep(2000);
      const heap = await jsHeapAfterGc(window2);
      const added = ourRenderers().filter((p) => !renderers0.has(p));
      const renderer = added.reduce((s, p) => s + pss(p), 0);
      const serverGrowth = servers.reduce((s, p) => s + rss(p), 0) - server0;
      if (round > 0) samples.push({ rendererPssMB: renderer / MB, jsHeapMB: heap / MB, serverGrowthMB: serverGrowth / MB, totalMB: (renderer + serverGrowth) / MB, newRendererProcesses: added.length });
      await closeWindow(window2);
      const pages = app.pages.get(notebook);
      if (pages) pages.splice(pages.indexOf(window2), 1);
    }
  } finally {
    await app.closeNotebook(notebook);
  }
  return { samples };
}

export async function run({ quire, jupyterlab, options }) {
  const q = await measure(quire, quire.notebookDir, options, (nb) => (quire.hosts.get(nb) ?? []).filter(Boolean).map((h) => h.child.pid));
  const j = await measure(jupyterlab, jupyterlab.rootDir, options, () => [jupyterlab.child.pid]);
  const med = (r, k) => median(r.samples.map((s) => s[k]));
  return {
    rows: [
      { metric: 'memory added by a second window: renderer PSS + host/server growth, median', unit: 'MB', quire: med(q, 'totalMB'), anchor: med(j, 'totalMB'), goal: (qv, jv) => qv <= jv, goalText: '≤ JL tab 2' },
      { metric: 'second window: JS heap in use after GC, median', unit: 'MB', quire: med(q, 'jsHeapMB'), anchor: med(j, 'jsHeapMB') },
    ],
    details: { quire: q, jupyterlab: j },
  };
}
