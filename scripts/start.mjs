#!/usr/bin/env node
// `npm start` (after `node scripts/setup.mjs` and `npm run build`): opens Quire on a notebook
// (default resources/demo.ipynb; `npm start -- other.ipynb` for another).
//
//  - Electron's binary installed (node_modules/electron/path.txt and the file it names): launch
//    Electron on out/main/index.js.
//  - Otherwise the browser host (`quire serve`), opened in Chromium's app mode when there is a
//    display ($DISPLAY or $WAYLAND_DISPLAY) and a Chromium, else with its URL printed.
// One line says which, and why. Ctrl-C stops; closing the Chromium app window stops too.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
// Electron's main process holds Automerge replicas too; V8 flags reach it only on its command line.
const { WASM_TIERING_FLAG } = await import('../src-shared/node/wasm-tiering.ts');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN_ENTRY = path.join(ROOT, 'out', 'main', 'index.js');
const say = (line) => console.log(`Quire: ${line}`);
const args = process.argv.slice(2);
const notebook = args.find((a) => !a.startsWith('-')) ?? path.join(ROOT, 'resources', 'demo.ipynb');

/** The Electron executable, or null with the reason it cannot be used. */
function electronBinary() {
  const dir = path.join(ROOT, 'node_modules', 'electron');
  const pathTxt = path.join(dir, 'path.txt');
  if (!existsSync(pathTxt)) {
    return { bin: null, reason: "Electron's binary is not installed (it is fetched from outside the package registries; `QUIRE_RETRY_ELECTRON=1 npm run setup` retries)" };
  }
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(dir, 'dist');
  const bin = path.join(dist, readFileSync(pathTxt, 'utf8').trim());
  if (!existsSync(bin)) return { bin: null, reason: `Electron's binary is missing at ${bin}` };
  return { bin, reason: '' };
}

function runElectron(bin) {
  if (!existsSync(MAIN_ENTRY)) {
    console.error(`Quire: ${path.relative(ROOT, MAIN_ENTRY)} is missing; run \`npm run build\` first`);
    process.exit(1);
  }
  say(`launching Electron (${bin}) on ${path.relative(ROOT, notebook) || notebook}.`);
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  // Chromium refuses to run as root without --no-sandbox; the windows' own sandbox stays on.
  const electronArgs = [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), `--js-flags=${WASM_TIERING_FLAG}`, MAIN_ENTRY, path.resolve(notebook)];
  const child = spawn(bin, electronArgs, { stdio: 'inherit', env, cwd: ROOT });
  const forward = (signal) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function runBrowserHost(why) {
  const { register } = await import('tsx/esm/api');
  register();
  const { serve } = await import('../src-main/browser-host/main.ts');
  const { appModeAvailability, openChromiumApp } = await import('../src-main/browser-host/open-browser.ts');
  let serving;
  try {
    serving = await serve({ notebook, log: (m) => console.error(`quire: ${m}`) });
  } catch (err) {
    console.error(`Quire: ${why}, and the browser host could not start: ${err.message}`);
    process.exit(1);
  }
  const shown = path.relative(ROOT, serving.path) || serving.path;
  const { chromium, reason } = appModeAvailability();
  let app = null;
  if (chromium) {
    app = openChromiumApp(chromium, serving.url);
    say(`${why}, so the browser host serves ${shown}, opened in Chromium's app mode (${chromium}); Ctrl-C stops.`);
  } else {
    say(`${why}, so the browser host serves ${shown} and ${reason}: open ${serving.url} in a browser (each tab is one window); Ctrl-C stops.`);
  }
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    app?.close();
    // Wait for Chromium to go (it removes its throwaway profile), at most a few seconds.
    await Promise.all([serving.stop(), app ? Promise.race([app.exited, new Promise((r) => setTimeout(r, 5000))]) : null]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  if (app) {
    void app.exited.then(() => {
      if (!stopping) say('the Chromium window closed; stopping the browser host.');
      void stop(0);
    });
  }
}

const electron = electronBinary();
if (electron.bin) runElectron(electron.bin);
else await runBrowserHost(electron.reason);
