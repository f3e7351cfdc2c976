// Scenario 7 — open a 5 MB notebook (many outputs, saved widget state) until it is interactive.
//
// The notebook is generated here: 120 code cells, each with a stream output (≈ 25 KB of text) and
// a 60×60 noise PNG (≈ 14 KB base64); every sixth cell shows a saved VBox of 5 IntSliders
// (application/vnd.jupyter.widget-view+json), and `metadata.widgets` holds the saved state of
// all those models (sliders, layouts, styles — as ipywidgets 8 saves it), ≈ 5 MB in all. The last
// cell's output ends with a marker line.
// "Interactive" = both: the first cell's editor is in the page and editable (a CodeMirror
// `.cm-content[contenteditable=true]`), and the last cell's output (the marker) is in the page.
// A requestAnimationFrame loop in the page checks both every frame and scrolls the last cell it
// has into view (JupyterLab renders long notebooks lazily; both apps get the same nudge).
//   JupyterLab: from page navigation (server already running) to interactive.
//   Quire: from spawning `quire serve <notebook>` (a Node process: connects to the daemon, which
//   parses the .ipynb into an Automerge doc and syncs it to the host's replica) to its URL, plus
//   navigation to interactive. That includes a Node process start (≈ 0.3–0.6 s here) that
//   opening a file in the running Electron app does not pay; details hold the two parts.
// One warm-up opening per app (caches, JIT), then `rounds` openings, each in a fresh window.
// Goal (issue 7): ≤ 0.8 × JupyterLab.
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { median, nowMs } from '../lib/util.mjs';
import { closeWindow, newWindow } from '../lib/browser.mjs';
import { writeNotebookJson } from '../lib/notebook.mjs';

export const title = 'open a 5 MB notebook (outputs, saved widgets) → interactive';
const CELLS = 120;
const MARKER = 'BENCH-LAST-OUTPUT-MARKER';

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function png(width, height) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y++) rows.push(Buffer.from([0]), randomBytes(width * 3));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** nbformat 4.5 with outputs and ipywidgets 8 saved state; returns its size in bytes. */
function writeBigNotebook(file) {
  const models = {};
  let n = 0;
  const id = () => `bench${String(++n).padStart(28, '0')}`;
  const model = (module, name, state) => {
    const mid = id();
    models[mid] = { model_module: module, model_module_version: '2.0.0', model_name: name, state: { _model_module: module, _model_module_version: '2.0.0', _model_name: name, _view_count: null, ...state } };
    return mid;
  };
  const layout = () => model('@jupyter-widgets/base', 'LayoutModel', {});
  const box = () => {
    const children = [];
    for (let i = 0; i < 5; i++) {
      const style = model('@jupyter-widgets/controls', 'SliderStyleModel', { description_width: '', handle_color: null });
      children.push(
        model('@jupyter-widgets/controls', 'IntSliderModel', {
          _view_module: '@jupyter-widgets/controls', _view_module_version: '2.0.0', _view_name: 'IntSliderView',
          value: i * 7, min: 0, max: 100, step: 1, description: `s${i}`, continuous_update: true, orientation: 'horizontal', readout: true, readout_format: 'd',
          disabled: false, layout: `IPY_MODEL_${layout()}`, style: `IPY_MODEL_${style}`, tabbable: null, tooltip: null,
        }),
      );
    }
    return model('@jupyter-widgets/controls', 'VBoxModel', {
      _view_module: '@jupyter-widgets/controls', _view_module_version: '2.0.0', _view_name: 'VBoxView',
      box_style: '', children: children.map((c) => `IPY_MODEL_${c}`), layout: `IPY_MODEL_${layout()}`, tabbable: null, tooltip: null,
    });
  };
  const image = png(60, 60).toString('base64');
  const lines = (i) => Array.from({ length: 300 }, (_, k) => `cell ${i} line ${k}: ${'x'.repeat(60)}\n`).join('');
  const cells = [];
  for (let i = 0; i < CELLS; i++) {
    const outputs = [
      { output_type: 'stream', name: 'stdout', text: lines(i) + (i === CELLS - 1 ? `${MARKER}\n` : '') },
      { output_type: 'display_data', metadata: {}, data: { 'image/png': image, 'text/plain': '<Figure>' } },
    ];
    if (i % 6 === 0) {
      outputs.push({ output_type: 'display_data', metadata: {}, data: { 'application/vnd.jupyter.widget-view+json': { version_major: 2, version_minor: 0, model_id: box() }, 'text/plain': 'VBox(...)' } });
    }
    cells.push({ id: `big-${i}`, cell_type: 'code', metadata: {}, execution_count: i + 1, outputs, source: `# cell ${i}\nprint('x' * 60)` });
  }
  writeNotebookJson(file, cells, { widgets: { 'application/vnd.jupyter.widget-state+json': { version_major: 2, version_minor: 0, state: models } } });
  return { bytes: statSync(file).size, models: Object.keys(models).length };
}

/** In the page: resolves with the wall-clock time both conditions first held. */
function armInteractive(page, cellSelector) {
  return page.evaluate(
    ([sel, marker]) =>
      new Promise((resolve) => {
        const started = performance.timeOrigin + performance.now();
        let editable = null;
        const check = () => {
          const now = performance.timeOrigin + performance.now();
          if (editable === null && document.querySelector(`${sel} .cm-content[contenteditable="true"]`)) editable = now;
          const cells = document.querySelectorAll(sel);
          const last = cells[cells.length - 1];
          if (editable !== null && last && last.textContent.includes(marker)) return resolve({ editable, last: now, started });
          if (last) last.scrollIntoView({ block: 'end' });
          if (now - started > 120_000) return resolve({ editable, last: null, started });
          requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
    [cellSelector, MARKER],
  );
}

async function openQuire(quire, notebook) {
  const t0 = nowMs();
  const { child, url } = await quire.serve(notebook);
  const served = nowMs();
  const page = await newWindow(quire.browser);
  try {
    await page.goto(url, { waitUntil: 'commit' });
    const r = await armInteractive(page, 'section.cell');
    if (r.last === null) throw new Error('quire: the 5 MB notebook never became interactive');
    return { totalMs: r.last - t0, hostStartMs: served - t0, pageMs: r.last - served, editableMs: r.editable - t0 };
  } finally {
    await closeWindow(page);
    const { stopChild } = await import('../lib/util.mjs');
    await stopChild(child);
  }
}

async function openJupyterLab(lab, notebook) {
  const rel = path.relative(lab.rootDir, notebook);
  const page = await newWindow(lab.browser);
  try {
    const t0 = nowMs();
    await page.goto(`${lab.base}/lab/workspaces/bench-open-${++lab.workspace}/tree/${encodeURI(rel)}?reset&token=${lab.token}`, { waitUntil: 'commit' });
    const r = await armInteractive(page, '.jp-Notebook .jp-Cell');
    if (r.last === null) throw new Error('jupyterlab: the 5 MB notebook never became interactive');
    return { totalMs: r.last - t0, pageMs: r.last - t0, editableMs: r.editable - t0 };
  } finally {
    await closeWindow(page);
    const sessions = await (await lab.api('GET', '/api/sessions')).json().catch(() => []);
    for (const s of sessions) if (s.path === rel) await lab.api('DELETE', `/api/sessions/${s.id}`);
  }
}

export async function run({ quire, jupyterlab, options }) {
  const qFile = path.join(quire.notebookDir, 's7-big.ipynb');
  const jFile = path.join(jupyterlab.rootDir, 's7-big.ipynb');
  const made = writeBigNotebook(qFile);
  writeBigNotebook(jFile);
  const q = [];
  const j = [];
  for (let round = 0; round <= options.rounds; round++) {
    const a = await openQuire(quire, qFile);
    const b = await openJupyterLab(jupyterlab, jFile);
    if (round > 0) {
      q.push(a);
      j.push(b);
    }
  }
  const med = (xs, k) => median(xs.map((x) => x[k]));
  return {
    rows: [
      { metric: `open a ${(made.bytes / 1e6).toFixed(1)} MB notebook → first cell editable + last output shown, median (Quire incl. host start)`, unit: 'ms', quire: med(q, 'totalMs'), anchor: med(j, 'totalMs'), goal: (qv, jv) => qv <= 0.8 * jv, goalText: '≤ 0.8 × JL' },
      { metric: 'open the 5 MB notebook → first cell editable, median', unit: 'ms', quire: med(q, 'editableMs'), anchor: med(j, 'editableMs') },
    ],
    details: { notebook: made, quire: q, jupyterlab: j },
  };
}
