// Scenario 4 — daemon throughput: widget updates/s from the kernel to a headless client.
//
// A Node SDK client (src-client/sdk, the TypeScript sources through tsx) connects to a daemon of
// its own (a separate QUIRE_HOME), opens a notebook and runs, through `execute`, one cell that
// sets `s.value = i` 20 000 times as fast as the kernel can; the kernel records time.time()
// before and after the loop. The client timestamps the moment its replica holds the last value.
//   end-to-end rate  = 20 000 / (replica has last value − kernel loop start)
//   kernel-only rate = 20 000 / (kernel loop end − start): what ipykernel can emit at all
//   drain lag        = replica has last value − kernel loop end: the backlog left behind
// Also counted: Automerge changes the 20 000 updates became (coalescing), and the daemon's CPU
// time over the loop as a share of one core (/proc). No browser is open.
// JupyterLab has no daemon and no headless replica, so there is no anchor.
//
// Then the same loop once more against a fresh daemon started with `node --cpu-prof`; its
// profile (bench/results/daemon-throughput.cpuprofile) is summarised by self time to name the
// bottleneck (details: `profile`).
import * as A from '@automerge/automerge';
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, REPO_ROOT, log, median, nowMs, percentile, removeFile, waitForJsonFile } from '../lib/util.mjs';
import { py } from '../lib/notebook.mjs';
import { summariseProfile } from '../lib/profile.mjs';
import { processCpuMs } from '../lib/cpu.mjs';

export const title = 'daemon throughput: widget updates/s, kernel → headless SDK client';
const UPDATES = 20_000;
const QUIRE_BIN = path.join(REPO_ROOT, 'bin', 'quire.mjs');

const SETUP = "import ipywidgets as w, time, json, os, sys\ns = w.IntSlider(value=0, min=0, max=10**9)\ns";
const loop = (resultFile) =>
  [
    "_round = globals().get('_round', 0) + 1",
    `_base = (_round - 1) * ${UPDATES}`,
    '_t0 = time.time() * 1000',
    `for _i in range(_base + 1, _base + ${UPDATES} + 1):`,
    '    s.value = _i',
    '_t1 = time.time() * 1000',
    `json.dump({'start': _t0, 'end': _t1, 'last': _base + ${UPDATES}, 'python': sys.executable}, open(${py(resultFile)} + '.tmp', 'w'))`,
    `os.replace(${py(resultFile)} + '.tmp', ${py(resultFile)})`,
  ].join('\n');

/** One daemon, `rounds` loops (plus a warm-up); returns per-round numbers. */
async function session({ env, notebook, resultFile, rounds, daemonCommand }) {
  const { connect } = await import('../../src-client/sdk/index.ts');
  const client = await connect({ env, clientName: 'bench-throughput', ...(daemonCommand ? { daemonCommand } : {}) });
  const results = [];
  let python = null;
  try {
    const nb = await client.openNotebook(notebook, { create: true });
    await nb.execute(SETUP);
    await nb.confirmSync();
    const daemonPid = (await client.status()).pid;
    const slider = nb.getWidgets().find((x) => x.modelName === 'IntSliderModel');
    if (!slider) throw new Error('the slider did not reach the client replica');
    for (let round = 0; round <= rounds; round++) {
      removeFile(resultFile);
      const changesBefore = A.getAllChanges(nb.current).length;
      let syncedChanges = 0;
      let seenAt = null;
      const last = (round + 1) * UPDATES;
      const done = new Promise((resolve) => {
        const off = nb.onChange((doc) => {
          syncedChanges++;
          const state = nb.getWidgets().find((x) => x.id === slider.id)?.state;
          if (state?.value === last) {
            seenAt = nowMs();
            off();
            resolve();
          }
        });
      });
      const cpu0 = processCpuMs(daemonPid);
      const requested = nowMs();
      const exec = nb.execute(loop(resultFile));
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`the replica never saw value ${last} within 300 s`)), 300_000))]);
      const daemonCpuMs = processCpuMs(daemonPid) - cpu0;
      const res = await exec;
      if (res.status !== 'ok') throw new Error(`the loop failed in the kernel: ${res.error?.evalue}`);
      const k = await waitForJsonFile(resultFile);
      python = k.python;
      const changes = A.getAllChanges(nb.current).length - changesBefore;
      if (round === 0) continue; // warm-up
      results.push({
        endToEndPerSec: UPDATES / ((seenAt - k.start) / 1000),
        kernelOnlyPerSec: UPDATES / ((k.end - k.start) / 1000),
        kernelLoopMs: k.end - k.start,
        drainLagMs: seenAt - k.end,
        requestToKernelStartMs: k.start - requested,
        docChanges: changes,
        daemonCpuShare: daemonCpuMs / (seenAt - requested),
        replicaChangeEvents: syncedChanges,
      });
    }
    await nb.close();
  } finally {
    await client.stopDaemon().catch(() => undefined); // shuts its kernel down too
    await client.close().catch(() => undefined);
  }
  return { results, python };
}

export async function run({ env, tmp, options }) {
  const dir = path.join(tmp, 'throughput');
  mkdirSync(dir, { recursive: true });
  const home = path.join(dir, 'quire-home');
  const notebook = path.join(dir, 's4.ipynb');
  const resultFile = path.join(dir, 's4.json');
  const plain = await session({ env: { ...env, QUIRE_HOME: home }, notebook, resultFile, rounds: options.rounds });

  // Once more with the daemon under the V8 profiler, to name the bottleneck.
  const profDir = path.join(dir, 'prof');
  mkdirSync(profDir, { recursive: true });
  const profiled = await session({
    env: { ...env, QUIRE_HOME: path.join(dir, 'quire-home-prof') },
    notebook,
    resultFile,
    rounds: 1,
    daemonCommand: [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profDir}`, QUIRE_BIN, 'daemon', '--detached'],
  });
  let profile = null;
  for (let i = 0; i < 100 && !profile; i++) {
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      const dest = path.join(BENCH_DIR, 'results', 'daemon-throughput.cpuprofile');
      mkdirSync(path.dirname(dest), { recursive: true });
      await new Promise((r) => setTimeout(r, 500)); // let the daemon finish writing it
      renameSync(path.join(profDir, file), dest);
      profile = { file: path.relative(REPO_ROOT, dest), ...summariseProfile(dest), run: profiled.results[0] };
    } else await new Promise((r) => setTimeout(r, 200));
  }
  if (!profile) log('scenario 4: the profiled daemon wrote no .cpuprofile');

  const e2e = plain.results.map((r) => r.endToEndPerSec);
  const kernelOnly = plain.results.map((r) => r.kernelOnlyPerSec);
  const lag = plain.results.map((r) => r.drainLagMs);
  const changes = plain.results.map((r) => r.docChanges);
  return {
    rows: [
      { metric: `daemon throughput kernel → SDK replica (${UPDATES} sets), median`, unit: 'updates/s', quire: median(e2e), anchor: null },
      { metric: 'kernel-only emit rate (same loop, ipykernel alone), median', unit: 'updates/s', quire: median(kernelOnly), anchor: null },
      { metric: 'drain lag: kernel loop done → replica has last value, p95', unit: 'ms', quire: percentile(lag, 95), anchor: null },
      { metric: `Automerge changes for ${UPDATES} kernel updates, median`, unit: 'changes', quire: median(changes), anchor: null },
      { metric: 'daemon CPU during the loop (share of one core), median', unit: 'share', quire: median(plain.results.map((r) => r.daemonCpuShare)), anchor: null },
    ],
    details: { quire: { python: plain.python, rounds: plain.results }, profile },
  };
}
