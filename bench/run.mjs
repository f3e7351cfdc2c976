#!/usr/bin/env node
// `npm run bench`: Quire against JupyterLab 4 on the same machine, the same kernel (the bench
// venv's python3 kernelspec) and the same Chromium, in one run. See bench/README.md.
//
//   node bench/run.mjs [--only 1,3] [--rounds N] [--n N] [--no-build] [--keep]
//
//   --only     scenario numbers to run (default: all files in bench/scenarios/, in order)
//   --rounds   measured rounds per scenario (default 3; a warm-up round is extra where there is one)
//   --n        widget sets per round in scenarios 1–2 (default 30)
//   --no-build skip `npm run build` (the shell's renderer build the browser host serves)
//   --keep     keep the run's temp dir (notebooks, logs, Quire home) and print its path
//   --cpu-prof run Quire's daemon and hosts under `node --cpu-prof` (slower; for finding causes, not
//              for the numbers): profiles go to bench/results/profiles/, summaries to the details
//   --trace-hops have the daemon, the host and the page mark each update's hops
//              (src-shared/hop-trace.ts); scenario 1 prints how long each hop took (lib/hops.mjs)
//
// Prints a table and writes bench/results/latest.json: [{ metric, unit, quire, anchor, ratio }]
// (ratio = quire / anchor, lower is better; anchor null where JupyterLab has no equivalent),
// and bench/results/latest-details.json (machine, raw samples, profiles' summaries).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import { BENCH_DIR, REPO_ROOT, log, stopAllChildren } from './lib/util.mjs';
import { ensureBenchVenv, VENV_PYTHON, VENV_SHARE_JUPYTER } from './lib/venv.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { QuireApp } from './lib/quire.mjs';
import { summariseProfile } from './lib/profile.mjs';
import { printHops } from './lib/hops.mjs';
import { JupyterLabApp } from './lib/jupyterlab.mjs';

register(); // the scenarios import the Node SDK's TypeScript sources (src-client/sdk)

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    n: { type: 'string', default: '30' },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'trace-hops': { type: 'boolean', default: false },
  },
});
const options = { rounds: Number(opts.rounds), n: Number(opts.n) };
const only = opts.only ? new Set(opts.only.split(',').map((s) => Number(s.trim()))) : null;

const SCENARIO_DIR = path.join(BENCH_DIR, 'scenarios');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');

function fmt(v) {
  if (v === null || v === undefined) return '—';
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function printTable(rows) {
  const header = ['metric', 'unit', 'Quire', 'JupyterLab', 'ratio', 'goal'];
  const body = rows.map((r) => [
    r.metric,
    r.unit,
    fmt(r.quire),
    fmt(r.anchor),
    r.ratio === null ? '—' : r.ratio.toFixed(2),
    r.goalText ? `${r.goalText}: ${r.met === null ? '?' : r.met ? 'met' : 'MISSED'}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i >= 2 && i <= 4 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
  for (const b of body) console.log(line(b));
}

/** The biggest profiles (the daemon and the hosts; the short CLI calls are dropped), summarised. */
function summariseProfiles(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const summaries = files.map((f) => ({ file: path.relative(REPO_ROOT, path.join(dir, f)), ...summariseProfile(path.join(dir, f)) }));
  summaries.sort((a, b) => b.busyMs - a.busyMs);
  for (const f of files) if (!summaries.slice(0, 4).some((s) => s.file.endsWith(f))) rmSync(path.join(dir, f));
  return summaries.slice(0, 4);
}

async function main() {
  const started = new Date();
  ensureBenchVenv();
  if (!opts['no-build']) {
    log('npm run build (the renderer the browser host serves)');
    const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (res.status !== 0) throw new Error('npm run build failed');
  }

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'quire-bench-'));
  const dirs = Object.fromEntries(
    ['quire-home', 'quire-notebooks', 'lab-root', 'jupyter-config', 'jupyter-data', 'jupyter-runtime', 'ipython'].map((d) => {
      const p = path.join(tmp, d);
      mkdirSync(p, { recursive: true });
      return [d, p];
    }),
  );
  // One environment for both apps: the bench kernelspec first on JUPYTER_PATH, no user Jupyter
  // or IPython config, a throwaway QUIRE_HOME (its own daemon, never the user's).
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'VIRTUAL_ENV' || k === 'CONDA_PREFIX' || k === 'PYTHONPATH') delete env[k];
  Object.assign(env, {
    JUPYTER_PATH: VENV_SHARE_JUPYTER,
    JUPYTER_CONFIG_DIR: dirs['jupyter-config'],
    JUPYTER_DATA_DIR: dirs['jupyter-data'],
    JUPYTER_RUNTIME_DIR: dirs['jupyter-runtime'],
    IPYTHONDIR: dirs.ipython,
    QUIRE_HOME: dirs['quire-home'],
  });
  if (opts['trace-hops']) {
    options.hopTraceDir = path.join(tmp, 'hops');
    mkdirSync(options.hopTraceDir);
    env.QUIRE_HOP_TRACE = options.hopTraceDir;
  }
  const profileDir = path.join(RESULTS_DIR, 'profiles');
  const nodeArgs = opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (opts['cpu-prof']) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }

  const browser = await launchBrowser();
  const quire = new QuireApp({ env, browser, nodeArgs, logDir: tmp });
  quire.notebookDir = dirs['quire-notebooks'];
  const jupyterlab = new JupyterLabApp({ env, browser, rootDir: dirs['lab-root'], logFile: path.join(tmp, 'jupyterlab.log') });
  const rows = [];
  const details = {
    date: started.toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    options,
    kernel: VENV_PYTHON,
    scenarios: {},
  };
  try {
    log('starting JupyterLab and the Quire daemon');
    await jupyterlab.start();
    await quire.start();
    const files = readdirSync(SCENARIO_DIR).filter((f) => /^\d\d-.*\.mjs$/.test(f)).sort();
    for (const file of files) {
      const number = Number(file.slice(0, 2));
      if (only && !only.has(number)) continue;
      const scenario = await import(pathToFileURL(path.join(SCENARIO_DIR, file)).href);
      log(`scenario ${file}: ${scenario.title}`);
      const t0 = Date.now();
      const result = await scenario.run({ quire, jupyterlab, browser, env, tmp, options });
      log(`scenario ${file} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const python of [result.details?.quire?.python, result.details?.jupyterlab?.python]) {
        // Compared resolved: bench/.venv may be a symlink to another checkout's venv.
        const real = (p) => {
          try {
            return realpathSync(path.dirname(p));
          } catch {
            return p;
          }
        };
        if (python && real(python) !== real(VENV_PYTHON)) throw new Error(`${file}: a kernel ran ${python}, not the bench venv's ${VENV_PYTHON}`);
      }
      for (const r of result.rows) {
        const ratio = r.anchor === null || r.anchor === undefined || r.quire === null || r.anchor === 0 ? null : r.quire / r.anchor;
        const met = r.goal ? (r.quire === null ? false : r.goal(r.quire, r.anchor)) : null;
        rows.push({ ...r, anchor: r.anchor ?? null, ratio, met });
      }
      details.scenarios[file] = result.details;
    }
  } finally {
    await quire.stop().catch((e) => log(`stopping Quire: ${e.message}`));
    await jupyterlab.stop().catch((e) => log(`stopping JupyterLab: ${e.message}`));
    await browser.close().catch(() => undefined);
    await stopAllChildren();
    if (opts['cpu-prof']) details.profiles = summariseProfiles(profileDir);
    if (opts.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  console.log(`\nQuire vs JupyterLab ${started.toISOString().slice(0, 10)} — ${details.machine.cpus} CPUs, ${details.machine.memGiB} GiB, ${details.machine.cpuModel}`);
  printTable(rows);
  for (const [file, d] of Object.entries(details.scenarios)) {
    for (const [label, hops] of Object.entries(d?.quire?.hops ?? {})) printHops(`Quire, ${file}, ${label}, hop by hop`, hops);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const latest = rows.map(({ metric, unit, quire, anchor, ratio }) => ({ metric, unit, quire, anchor, ratio }));
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify(latest, null, 2) + '\n');
  details.rows = rows.map(({ goal, ...r }) => r);
  writeFileSync(path.join(RESULTS_DIR, 'latest-details.json'), JSON.stringify(details, null, 1) + '\n');
  log(`wrote bench/results/latest.json and latest-details.json`);
}

process.once('SIGINT', () => {
  void stopAllChildren().then(() => process.exit(130));
});

main().then(
  () => process.exit(0),
  async (e) => {
    console.error(`bench: ${e.stack ?? e.message}`);
    await stopAllChildren();
    process.exit(1);
  },
);
