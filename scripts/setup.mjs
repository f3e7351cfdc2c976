#!/usr/bin/env node
// Quire project setup: one idempotent script run by `npm start` and `npm test` (and by hand:
// `npm run setup` or `node scripts/setup.mjs`). Plain Node, built-ins only: it runs before
// `npm install` may have happened.
//
// Steps, each skipped fast when already satisfied (stamp files):
//   1. npm packages   — `npm ci` when node_modules is missing or does not match package-lock.json
//                       (stamp: node_modules/.quire-setup-stamp). ELECTRON_SKIP_BINARY_DOWNLOAD=1.
//   2. Electron binary — one try of node_modules/electron/install.js (60 s cap). A failure is
//                       recorded (node_modules/.quire-electron-stamp) and not retried for 7 days
//                       or until QUIRE_RETRY_ELECTRON=1. Never fails setup.
//   3. Kernel venv    — QUIRE_VENV (default .venv): python -m venv, pip install -r
//                       scripts/kernel-requirements.txt, register the ipykernel kernelspec into
//                       <venv>/share/jupyter/kernels, pip install -e python (the Python client)
//                       with scripts/python-dev-requirements.txt (pytest) (stamp: <venv>/.quire-stamp).
//
// Environment: QUIRE_VENV, QUIRE_PYTHON (interpreter used to create the venv),
// QUIRE_RETRY_ELECTRON=1, QUIRE_SKIP_ELECTRON=1 (never try the download).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const LOCKFILE = path.join(ROOT, 'package-lock.json');
const NPM_STAMP = path.join(NODE_MODULES, '.quire-setup-stamp');
const ELECTRON_DIR = path.join(NODE_MODULES, 'electron');
const ELECTRON_STAMP = path.join(NODE_MODULES, '.quire-electron-stamp');
const REQUIREMENTS = path.join(ROOT, 'scripts', 'kernel-requirements.txt');
const VENV = path.resolve(ROOT, process.env.QUIRE_VENV || '.venv');
const VENV_STAMP = path.join(VENV, '.quire-stamp');
const IS_WINDOWS = process.platform === 'win32';
const VENV_PYTHON = IS_WINDOWS ? path.join(VENV, 'Scripts', 'python.exe') : path.join(VENV, 'bin', 'python');
const KERNEL_JSON = path.join(VENV, 'share', 'jupyter', 'kernels', 'python3', 'kernel.json');
// The Python client package (python/) and its test runner live in the same venv.
const DEV_REQUIREMENTS = path.join(ROOT, 'scripts', 'python-dev-requirements.txt');
const PY_CLIENT = path.join(ROOT, 'python');
const ELECTRON_TIMEOUT_MS = 60_000;
const ELECTRON_RETRY_MS = 7 * 24 * 60 * 60 * 1000;
const MIN_PYTHON = [3, 9];

class SetupError extends Error {}

const log = (msg) => console.log(`setup: ${msg}`);
const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const readText = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};
const readJson = (file) => {
  const text = readText(file);
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
const seconds = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** Environment for child processes: no npm lifecycle leftovers from the `npm test` that ran us. */
function childEnv(extra = {}) {
  const env = { ...process.env, QUIRE_SETUP_RUNNING: '1', ...extra };
  for (const key of Object.keys(env)) {
    if (key.startsWith('npm_lifecycle_') || key.startsWith('npm_package_')) delete env[key];
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// 1. npm packages

/**
 * Does node_modules hold exactly what package-lock.json asks for? npm records what it installed
 * in node_modules/.package-lock.json; compare versions path by path. Used only when the stamp
 * does not match (e.g. right after a developer's own `npm install`), so that a consistent tree
 * is adopted instead of being reinstalled.
 */
function nodeModulesMatchLock(lock) {
  const hidden = readJson(path.join(NODE_MODULES, '.package-lock.json'));
  if (!lock?.packages || !hidden?.packages) return false;
  for (const [key, want] of Object.entries(lock.packages)) {
    if (key === '' || !key.includes('node_modules/')) continue; // root / workspace links
    const have = hidden.packages[key];
    if (!have) {
      if (want.optional || want.peer) continue; // e.g. another platform's optional binary
      return false;
    }
    if (want.version !== have.version) return false;
    if (!existsSync(path.join(ROOT, key))) return false;
  }
  return true;
}

function runNpm(args) {
  // Prefer the npm that is running us (npm test), else npm from PATH.
  const npmCli = process.env.npm_execpath;
  const [cmd, cmdArgs] =
    npmCli && /npm-cli\.c?js$/.test(npmCli)
      ? [process.execPath, [npmCli, ...args]]
      : [IS_WINDOWS ? 'npm.cmd' : 'npm', args];
  const res = spawnSync(cmd, cmdArgs, {
    cwd: ROOT,
    stdio: 'inherit',
    env: childEnv({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }),
    shell: IS_WINDOWS,
  });
  if (res.error) throw new SetupError(`npm packages: could not run npm (${res.error.message})`);
  if (res.status !== 0) {
    throw new SetupError(`npm packages: \`npm ${args.join(' ')}\` failed (exit ${res.status}); see npm's output above`);
  }
}

function stepNpm() {
  const lockText = readText(LOCKFILE);
  if (lockText === null) {
    if (existsSync(NODE_MODULES)) {
      log('npm packages: no package-lock.json, keeping the existing node_modules');
      return;
    }
    const t0 = Date.now();
    log('npm packages: no package-lock.json, running npm install …');
    runNpm(['install', '--no-audit', '--no-fund']);
    log(`npm packages installed (${seconds(t0)})`);
    return;
  }
  const want = sha256(lockText, '\0', process.version.split('.')[0]);
  if (readText(NPM_STAMP)?.trim() === want && existsSync(path.join(NODE_MODULES, '.package-lock.json'))) {
    log('npm packages up to date');
    return;
  }
  if (existsSync(NODE_MODULES) && nodeModulesMatchLock(JSON.parse(lockText))) {
    writeFileSync(NPM_STAMP, `${want}\n`);
    log('npm packages up to date (node_modules matches package-lock.json)');
    return;
  }
  const t0 = Date.now();
  log(`npm packages: ${existsSync(NODE_MODULES) ? 'node_modules is stale' : 'node_modules is missing'}, running npm ci …`);
  runNpm(['ci', '--no-audit', '--no-fund']);
  writeFileSync(NPM_STAMP, `${want}\n`);
  log(`npm packages installed (${seconds(t0)})`);
}

// ---------------------------------------------------------------------------------------------
// 2. Electron binary (optional)

function electronBinary() {
  const rel = readText(path.join(ELECTRON_DIR, 'path.txt'));
  if (!rel) return null;
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(ELECTRON_DIR, 'dist');
  const bin = path.join(dist, rel.trim());
  return existsSync(bin) ? bin : null;
}

function stepElectron() {
  if (!existsSync(path.join(ELECTRON_DIR, 'install.js'))) {
    log('electron: package not installed; skipping its binary');
    return;
  }
  if (electronBinary()) {
    log('electron binary present');
    return;
  }
  const note = '(the browser host will be used and the Electron e2e tests skipped)';
  if (process.env.QUIRE_SKIP_ELECTRON === '1') {
    log(`electron binary absent, QUIRE_SKIP_ELECTRON=1 ${note}`);
    return;
  }
  const stamp = readJson(ELECTRON_STAMP);
  const version = readJson(path.join(ELECTRON_DIR, 'package.json'))?.version;
  const recentFailure =
    stamp?.failed && stamp.version === version && Date.now() - Date.parse(stamp.at) < ELECTRON_RETRY_MS;
  if (recentFailure && process.env.QUIRE_RETRY_ELECTRON !== '1') {
    log(`electron binary absent: download failed on ${stamp.at.slice(0, 10)} ${note}; QUIRE_RETRY_ELECTRON=1 retries`);
    return;
  }
  const t0 = Date.now();
  log(`electron: fetching the Electron ${version} binary (up to ${ELECTRON_TIMEOUT_MS / 1000} s) …`);
  const env = childEnv();
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const res = spawnSync(process.execPath, [path.join(ELECTRON_DIR, 'install.js')], {
    cwd: ELECTRON_DIR,
    env,
    encoding: 'utf8',
    timeout: ELECTRON_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const bin = electronBinary();
  if (res.status === 0 && bin) {
    try {
      writeFileSync(ELECTRON_STAMP, JSON.stringify({ failed: false, version, at: new Date().toISOString() }) + '\n');
    } catch {
      /* best effort */
    }
    log(`electron binary installed (${seconds(t0)})`);
    return;
  }
  const why = res.error
    ? res.error.code === 'ETIMEDOUT'
      ? `timed out after ${ELECTRON_TIMEOUT_MS / 1000} s`
      : res.error.message
    : (`${res.stderr || ''}`.trim().split('\n').find((l) => /error/i.test(l)) || `exit ${res.status}`).trim();
  try {
    writeFileSync(
      ELECTRON_STAMP,
      JSON.stringify({ failed: true, version, at: new Date().toISOString(), reason: why.slice(0, 500) }) + '\n',
    );
  } catch {
    /* best effort */
  }
  log(`electron binary can't be downloaded on this machine (${why.slice(0, 160)}) ${note}`);
}

// ---------------------------------------------------------------------------------------------
// 3. Python kernel venv

function pythonVersion(cmd) {
  const res = spawnSync(cmd, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  if (res.status !== 0 || !res.stdout) return null;
  const [version, executable] = res.stdout.trim().split('\n');
  const [major, minor] = version.split('.').map(Number);
  return { cmd, version, executable, ok: major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]) };
}

function findPython() {
  const candidates = process.env.QUIRE_PYTHON ? [process.env.QUIRE_PYTHON] : ['python3', 'python'];
  const seen = [];
  for (const cmd of candidates) {
    const info = pythonVersion(cmd);
    if (info?.ok) return info;
    seen.push(info ? `${cmd} is ${info.version}` : `${cmd} not found`);
  }
  throw new SetupError(
    `kernel venv: needs Python >= ${MIN_PYTHON.join('.')} (${seen.join(', ')}). ` +
      'Install one, or point QUIRE_PYTHON at it.',
  );
}

function run(step, cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (res.error) throw new SetupError(`${step}: could not run ${cmd} (${res.error.message})`);
  if (res.status !== 0) throw new SetupError(`${step}: \`${[cmd, ...args].join(' ')}\` failed (exit ${res.status}); see the output above`);
  return res;
}

function stepVenv() {
  const reqText = readText(REQUIREMENTS);
  if (reqText === null) throw new SetupError(`kernel venv: ${path.relative(ROOT, REQUIREMENTS)} is missing`);
  const want = sha256(reqText, '\0', readText(DEV_REQUIREMENTS) ?? '', '\0', readText(path.join(PY_CLIENT, 'pyproject.toml')) ?? '');
  const rel = path.relative(ROOT, VENV) || '.';
  if (readText(VENV_STAMP)?.trim() === want && existsSync(VENV_PYTHON) && existsSync(KERNEL_JSON)) {
    log(`kernel venv up to date (${rel})`);
    return;
  }
  const t0 = Date.now();

  if (!existsSync(VENV_PYTHON) || !pythonVersion(VENV_PYTHON)?.ok) {
    const isVenv = existsSync(path.join(VENV, 'pyvenv.cfg'));
    if (existsSync(VENV) && !isVenv && readdirSync(VENV).length > 0) {
      throw new SetupError(`kernel venv: ${VENV} exists and is not a Python venv; move it away or set QUIRE_VENV`);
    }
    const py = findPython();
    log(`kernel venv: creating ${rel} with Python ${py.version} (${py.executable}) …`);
    mkdirSync(path.dirname(VENV), { recursive: true });
    run('kernel venv (python -m venv)', py.cmd, ['-m', 'venv', ...(isVenv ? ['--clear'] : []), VENV]);
  }

  const pipInstall = (step, args) =>
    run(step, VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...args]);
  log(`kernel venv: pip install -r ${path.relative(ROOT, REQUIREMENTS)} …`);
  pipInstall('kernel venv (pip install -r scripts/kernel-requirements.txt)', ['-r', REQUIREMENTS]);
  log('kernel venv: pip install the Python client (python/) and pytest …');
  pipInstall('kernel venv (python client + pytest)', ['-r', DEV_REQUIREMENTS, '-e', PY_CLIENT]);

  log('kernel venv: registering the python3 kernelspec …');
  run('kernel venv (ipykernel install)', VENV_PYTHON, [
    '-m',
    'ipykernel',
    'install',
    '--sys-prefix',
    '--name',
    'python3',
    '--display-name',
    'Python 3 (Quire)',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(KERNEL_JSON)) {
    throw new SetupError(`kernel venv (ipykernel install): ${path.relative(ROOT, KERNEL_JSON)} was not written`);
  }

  writeFileSync(VENV_STAMP, `${want}\n`);
  log(`kernel venv ready (${rel}, ${seconds(t0)})`);
}

// ---------------------------------------------------------------------------------------------

function main() {
  if (process.env.QUIRE_SETUP_RUNNING === '1') return; // a nested npm run must not recurse into setup
  const t0 = Date.now();
  try {
    stepNpm();
    stepElectron();
    stepVenv();
  } catch (err) {
    if (err instanceof SetupError) {
      console.error(`setup: FAILED — ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  if (Date.now() - t0 > 2000) log(`done (${seconds(t0)})`);
}

main();
