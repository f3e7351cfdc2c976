// Scenario 5 — the notebook doc after 100 000 widget updates: bytes on disk and load time.
//
// Every widget update the kernel makes becomes part of the doc's Automerge history, and the
// daemon's crash-recovery snapshot (src-daemon/rooms/doc-snapshots.ts, `<QUIRE_HOME>/docs/
// <roomId>.automerge`) saves that doc. This scenario checks that a long session does not leave
// a doc that is slow to load or large on disk.
//
// A Node SDK client (as in scenario 4) connects to a daemon of its own, opens a notebook, runs a
// cell that displays 10 IntSliders, then:
//  - a cell that makes 88 000 updates (`sliders[i % 10].value = i`) in 1760 bursts of 50, 5 ms
//    apart — a long session's worth of separate edits rather than one burst the daemon folds
//    into a few changes (and which, unpaced, overruns ipykernel's IOPub queue of 1000 messages:
//    the newest updates are dropped before the daemon reads them, as they would be for
//    JupyterLab's server). The daemon coalesces kernel traffic per frame: ~1 change per burst;
//  - 12 000 updates from the client, each its own change, as a window's slider drag makes one
//    per frame (12 000 is 200 s of dragging at 60 Hz).
// Once the client's replica holds the last value the notebook is closed (the daemon writes its
// snapshot when a room closes; a history of more than 10k changes, like this one, is written
// compacted: DocSnapshots.close, once the daemon has stopped). Reported: the whole history's
// size (`A.save` of the client's replica before the close), the snapshot's size on disk (its base
// and its log), the time a restore takes to load them (`readSnapshot`; median of 5 after a first,
// warm-up load, in this process), and how many Automerge changes the history held before the
// close and holds in the snapshot.
// JupyterLab keeps no widget history (the kernel holds the state), so there is no anchor.
// Goal (issue 7): < 2 MB (after compaction, if any), load < 200 ms.
import * as A from '@automerge/automerge';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { median, nowMs, sleep } from '../lib/util.mjs';

export const title = 'doc after 100k widget updates: snapshot bytes on disk, load time';
const KERNEL_UPDATES = 88_000;
const CLIENT_UPDATES = 12_000;
const UPDATES = KERNEL_UPDATES + CLIENT_UPDATES;
const SLIDERS = 10;

const SETUP = `import ipywidgets as w, sys\nsliders = [w.IntSlider(value=0, min=0, max=10**9) for _ in range(${SLIDERS})]\nw.VBox(sliders)`;
const BURST = 50;
const LOOP = [
  'import time',
  `for _b in range(${KERNEL_UPDATES} // ${BURST}):`,
  `    for _i in range(_b * ${BURST} + 1, (_b + 1) * ${BURST} + 1):`,
  `        sliders[_i % ${SLIDERS}].value = _i`,
  '    time.sleep(0.005)',
  'sys.executable',
].join('\n');

export async function run({ env, tmp }) {
  const dir = path.join(tmp, 'doc-size');
  mkdirSync(dir, { recursive: true });
  const home = path.join(dir, 'quire-home');
  const notebook = path.join(dir, 's5.ipynb');
  const { connect } = await import('../../src-client/sdk/index.ts');
  const client = await connect({ env: { ...env, QUIRE_HOME: home }, clientName: 'bench-doc-size' });
  let roomId;
  let python = null;
  let loopMs;
  let changesBefore;
  let bytesBefore;
  try {
    const nb = await client.openNotebook(notebook, { create: true });
    roomId = nb.roomId;
    await nb.execute(SETUP);
    await nb.confirmSync();
    const t0 = nowMs();
    const res = await Promise.race([
      nb.execute(LOOP),
      sleep(300_000).then(() => {
        throw new Error('the 100k-update loop did not finish within 300 s');
      }),
    ]);
    if (res.status !== 'ok') throw new Error(`the update loop failed in the kernel: ${res.error?.evalue}`);
    // `sys.executable` as the cell's result: its repr, a quoted path.
    python = String(res.outputs.find((o) => o.output_type === 'execute_result')?.data?.['text/plain'] ?? '').slice(1, -1);
    await nb.confirmSync(120_000);
    const sliders = nb.getWidgets().filter((x) => x.modelName === 'IntSliderModel').sort((a, b) => a.seq - b.seq);
    if (sliders.length !== SLIDERS) throw new Error(`expected ${SLIDERS} sliders, the replica has ${sliders.length}`);
    for (let i = 1; i <= CLIENT_UPDATES; i++) {
      const value = KERNEL_UPDATES + i;
      nb.updateWidget(sliders[value % SLIDERS].id, { value });
      if (i % 100 === 0) await new Promise((r) => setImmediate(r)); // let the syncs go out
    }
    await nb.confirmSent(120_000);
    await nb.confirmSync(120_000);
    loopMs = nowMs() - t0;
    if (!nb.getWidgets().some((x) => x.state?.value === UPDATES)) throw new Error(`the replica never saw value ${UPDATES}`);
    changesBefore = A.getAllChanges(nb.current).length;
    bytesBefore = A.save(nb.current).length;
    await nb.close();
  } finally {
    // The daemon answers `stop` at once and writes its snapshots before it closes connections:
    // the snapshot is final when this client is disconnected.
    const disconnected = new Promise((resolve) => client.onDisconnect(resolve));
    await client.stopDaemon().catch(() => undefined);
    await Promise.race([disconnected, sleep(30_000)]);
    await client.close().catch(() => undefined);
  }
  const file = path.join(home, 'docs', `${roomId}.automerge`);
  for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(100);
  if (!existsSync(file)) throw new Error(`the daemon wrote no snapshot at ${file}`);
  // The snapshot is a base plus a log of the changes since (doc-snapshots.ts): both count, and
  // loading means what a restore does, the base with every log record applied.
  const { readSnapshot } = await import('../../src-shared/node/recovery-snapshot.ts');
  const bytes = statSync(file).size + (statSync(`${file}.log`, { throwIfNoEntry: false })?.size ?? 0);
  const loads = [];
  let doc;
  // The first load also compiles Automerge's wasm code paths: reported apart, not in the median.
  for (let i = 0; i <= 5; i++) {
    const t = nowMs();
    doc = readSnapshot(file);
    loads.push(nowMs() - t);
  }
  const firstLoadMs = loads.shift();
  const changes = A.getAllChanges(doc).length;
  return {
    rows: [
      { metric: `doc after ${UPDATES / 1000}k widget updates: its whole history saved (A.save), before the close`, unit: 'KB', quire: bytesBefore / 1e3, anchor: null },
      { metric: `doc after ${UPDATES / 1000}k widget updates: recovery snapshot on disk`, unit: 'KB', quire: bytes / 1e3, anchor: null, goal: (q) => q < 2000, goalText: '< 2 MB' },
      { metric: `doc after ${UPDATES / 1000}k widget updates: loading that snapshot (base + log), median`, unit: 'ms', quire: median(loads), anchor: null, goal: (q) => q < 200, goalText: '< 200 ms' },
      { metric: `doc after ${UPDATES / 1000}k widget updates: Automerge changes in its history before the close`, unit: 'changes', quire: changesBefore, anchor: null },
      { metric: `doc after ${UPDATES / 1000}k widget updates: Automerge changes in the snapshot (compacted)`, unit: 'changes', quire: changes, anchor: null },
    ],
    details: { quire: { python, bytes, bytesBefore, firstLoadMs, loadsMs: loads, changesBefore, changes, kernelUpdates: KERNEL_UPDATES, clientUpdates: CLIENT_UPDATES, loopAndSyncMs: loopMs, snapshot: path.basename(file) } },
  };
}
