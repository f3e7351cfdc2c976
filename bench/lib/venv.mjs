// The bench venv (bench/.venv): JupyterLab 4 + ipywidgets 8 + ipykernel, pinned in
// scripts/bench-requirements.txt, and a `python3` kernelspec registered inside it with the
// venv's absolute interpreter path. Both apps run that kernelspec (JUPYTER_PATH points at
// <venv>/share/jupyter). Idempotent: a stamp (hash of the requirements + the base Python)
// skips the work when nothing changed. The project's own .venv is never touched.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, REPO_ROOT, log } from './util.mjs';

export const VENV = path.join(BENCH_DIR, '.venv');
export const VENV_PYTHON = path.join(VENV, 'bin', 'python');
export const VENV_JUPYTER = path.join(VENV, 'bin', 'jupyter');
export const VENV_SHARE_JUPYTER = path.join(VENV, 'share', 'jupyter');
const REQUIREMENTS = path.join(REPO_ROOT, 'scripts', 'bench-requirements.txt');
const STAMP = path.join(VENV, '.bench-stamp');
const KERNEL_JSON = path.join(VENV_SHARE_JUPYTER, 'kernels', 'python3', 'kernel.json');

function run(cmd, args, what) {
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: REPO_ROOT });
  if (res.error) throw new Error(`${what}: could not run ${cmd} (${res.error.message})`);
  if (res.status !== 0) throw new Error(`${what}: \`${cmd} ${args.join(' ')}\` failed (exit ${res.status}); see the output above`);
}

export function ensureBenchVenv() {
  const basePython = process.env.BENCH_PYTHON || 'python3';
  const stamp = createHash('sha256')
    .update(readFileSync(REQUIREMENTS))
    .update(basePython)
    .update('kernelspec-v1')
    .digest('hex');
  if (existsSync(VENV_PYTHON) && existsSync(KERNEL_JSON) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === stamp) {
    return;
  }
  const t0 = Date.now();
  if (!existsSync(VENV_PYTHON)) {
    log(`creating the bench venv ${VENV} with ${basePython}`);
    run(basePython, ['-m', 'venv', VENV], 'bench venv');
  }
  log('installing scripts/bench-requirements.txt into the bench venv');
  run(VENV_PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', REQUIREMENTS], 'bench venv');
  // Absolute interpreter path in argv, so JupyterLab and the Quire daemon start the same binary.
  run(VENV_PYTHON, ['-m', 'ipykernel', 'install', '--prefix', VENV, '--name', 'python3', '--display-name', 'Python 3 (bench venv)'], 'bench kernelspec');
  const argv0 = JSON.parse(readFileSync(KERNEL_JSON, 'utf8')).argv[0];
  if (argv0 !== VENV_PYTHON) throw new Error(`bench kernelspec: expected argv[0] ${VENV_PYTHON}, got ${argv0}`);
  writeFileSync(STAMP, stamp + '\n');
  log(`bench venv ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
