// JupyterLab 4 from the bench venv: the anchor. Started on 127.0.0.1 with a token, no browser,
// its config/data/runtime dirs in the run's temp dir (the user's Jupyter setup is not read), no
// extension manager, news or update checks (no network). Pages are driven through
// `window.jupyterapp` (--LabApp.expose_app_in_browser): cells run with the
// `notebook:run-cell` command, the same path as Shift+Enter on the cell.
import { createServer } from 'node:net';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { log, sleep, spawnTracked, stopChild } from './util.mjs';
import { closeWindow, newWindow } from './browser.mjs';
import { VENV_JUPYTER } from './venv.mjs';
import { childPids } from './cpu.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export class JupyterLabApp {
  name = 'jupyterlab';

  /** rootDir: the server's root (notebooks must live under it); env: the bench environment. */
  constructor({ env, browser, rootDir, logFile }) {
    this.env = env;
    this.browser = browser;
    this.rootDir = rootDir;
    this.logFile = logFile;
    this.token = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    this.pages = new Map();
    this.workspace = 0;
  }

  async start() {
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    const args = [
      'lab',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${this.port}`,
      '--ServerApp.port_retries=0',
      `--IdentityProvider.token=${this.token}`,
      '--ServerApp.open_browser=False',
      `--ServerApp.root_dir=${this.rootDir}`,
      '--LabApp.expose_app_in_browser=True',
      '--LabApp.extension_manager=readonly',
      '--LabApp.news_url=None',
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ];
    this.child = spawnTracked(VENV_JUPYTER, args, { env: this.env, cwd: this.rootDir });
    const out = createWriteStream(this.logFile);
    this.child.stdout.pipe(out);
    this.child.stderr.pipe(out);
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`JupyterLab exited with ${this.child.exitCode}; see ${this.logFile}`);
      try {
        const res = await fetch(`${this.base}/api/status?token=${this.token}`);
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`JupyterLab did not answer within 90 s; see ${this.logFile}`);
      await sleep(200);
    }
  }

  api(method, route) {
    return fetch(`${this.base}${route}`, { method, headers: { Authorization: `token ${this.token}` } });
  }

  /**
   * Opens the notebook in a new tab (its own workspace, so two tabs do not fight over one) and
   * waits until its kernel is connected and idle.
   */
  async openWindow(notebook) {
    const rel = path.relative(this.rootDir, notebook);
    const page = await newWindow(this.browser);
    const pages = this.pages.get(notebook) ?? [];
    pages.push(page);
    this.pages.set(notebook, pages);
    const ws = `bench-${++this.workspace}`;
    await page.goto(`${this.base}/lab/workspaces/${ws}/tree/${encodeURI(rel)}?reset&token=${this.token}`);
    await page.waitForFunction(
      (p) => {
        const app = window.jupyterapp;
        if (!app) return false;
        for (const w of app.shell.widgets('main')) {
          if (w.context?.path === p && w.sessionContext?.session?.kernel?.status === 'idle' && w.content?.widgets?.length > 0) return true;
        }
        return false;
      },
      rel,
      { timeout: 120_000, polling: 100 },
    );
    page.__benchPath = rel;
    return page;
  }

  /** Makes code cell `index` active and runs it (`notebook:run-cell`); returns the page's wall-clock time just before. */
  runCell(page, index) {
    return page.evaluate(
      async ([p, i]) => {
        const app = window.jupyterapp;
        const panel = [...app.shell.widgets('main')].find((w) => w.context?.path === p);
        app.shell.activateById(panel.id);
        panel.content.activeCellIndex = i;
        const t0 = performance.timeOrigin + performance.now();
        void app.commands.execute('notebook:run-cell');
        return t0;
      },
      [page.__benchPath, index],
    );
  }

  async waitIdle(page, timeoutMs = 120_000) {
    await page.waitForFunction(
      (p) => {
        const panel = [...window.jupyterapp.shell.widgets('main')].find((w) => w.context?.path === p);
        const cells = panel.content.widgets;
        return panel.sessionContext.session?.kernel?.status === 'idle' && !cells.some((c) => c.model.type === 'code' && c.model.executionState === 'running');
      },
      page.__benchPath,
      { timeout: timeoutMs, polling: 50 },
    );
  }

  /** Saves the notebook from this tab (so a second tab opens it with the widget outputs). */
  async save(page) {
    await page.evaluate(async (p) => {
      const app = window.jupyterapp;
      const panel = [...app.shell.widgets('main')].find((w) => w.context?.path === p);
      await panel.context.save();
    }, page.__benchPath);
  }

  /** The kernel's status and the cells' execution states (for failure reports). */
  describeState(page) {
    return page.evaluate((p) => {
      const panel = [...window.jupyterapp.shell.widgets('main')].find((w) => w.context?.path === p);
      return { kernel: panel.sessionContext.session?.kernel?.status, cells: panel.content.widgets.map((c) => c.model.executionState ?? null) };
    }, page.__benchPath);
  }

  /** Pids behind a notebook: { server (jupyter lab), kernel }. */
  async processes(notebook) {
    const rel = path.relative(this.rootDir, notebook);
    const sessions = await (await this.api('GET', '/api/sessions')).json();
    const kernelId = sessions.find((s) => s.path === rel)?.kernel?.id;
    return { server: [this.child.pid], kernel: kernelId ? childPids(this.child.pid, `kernel-${kernelId}`) : [] };
  }

  /** Closes the notebook's tabs and shuts its kernel down (DELETE its session). */
  async closeNotebook(notebook) {
    for (const page of this.pages.get(notebook) ?? []) await closeWindow(page);
    this.pages.delete(notebook);
    const rel = path.relative(this.rootDir, notebook);
    try {
      const sessions = await (await this.api('GET', '/api/sessions')).json();
      for (const s of sessions) if (s.path === rel) await this.api('DELETE', `/api/sessions/${s.id}`);
    } catch (e) {
      log(`jupyterlab: could not shut the kernel of ${rel} down: ${e.message}`);
    }
  }

  async stop() {
    for (const nb of [...this.pages.keys()]) await this.closeNotebook(nb);
    if (!this.child) return;
    await this.api('POST', '/api/shutdown').catch(() => undefined);
    await stopChild(this.child, 15_000);
  }
}
