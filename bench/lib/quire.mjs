// Quire, driven the way a person uses it: `quire serve <notebook> --no-open` host processes
// (each its own replica of the notebook's doc) and pages on their URLs; cells run with the
// cell's Run button. The daemon lives under a throwaway QUIRE_HOME, so the user's daemon is
// never touched, and finds the bench venv's kernelspec through JUPYTER_PATH.
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, log, spawnTracked, stopChild } from './util.mjs';
import { closeWindow, newWindow } from './browser.mjs';

const QUIRE_BIN = path.join(REPO_ROOT, 'bin', 'quire.mjs');

export class QuireApp {
  name = 'quire';

  /**
   * env: the bench environment (QUIRE_HOME, JUPYTER_PATH, …); nodeArgs: extra node flags for
   * the daemon and the hosts (e.g. --cpu-prof, which NODE_OPTIONS may not carry).
   */
  constructor({ env, browser, nodeArgs = [], logDir }) {
    this.env = env;
    this.logDir = logDir;
    this.serves = 0;
    this.browser = browser;
    this.nodeArgs = nodeArgs;
    /** notebook path → [first host, second host] */
    this.hosts = new Map();
    this.pages = new Map();
  }

  cli(args) {
    const res = spawnSync(process.execPath, [QUIRE_BIN, ...args], { env: this.env, encoding: 'utf8', timeout: 60_000 });
    if (res.status !== 0) throw new Error(`quire ${args.join(' ')} failed (exit ${res.status}): ${res.stderr}`);
    return res.stdout;
  }

  /** Starts the daemon in the foreground (our child), so hosts connect to it rather than autostart one. */
  async start() {
    this.daemon = spawnTracked(process.execPath, [...this.nodeArgs, QUIRE_BIN, 'daemon'], { env: this.env });
    this.daemon.stdout.resume();
    this.daemon.stderr.pipe(createWriteStream(path.join(this.logDir, 'quire-daemon.stderr.log')));
    let err = '';
    this.daemon.stderr.on('data', (d) => (err += d));
    const deadline = Date.now() + 30_000;
    while (!/listening on/.test(err)) {
      if (this.daemon.exitCode !== null) throw new Error(`quire daemon exited with ${this.daemon.exitCode}\n${err}`);
      if (Date.now() > deadline) throw new Error(`quire daemon did not listen within 30 s\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts a `quire serve` on the notebook and resolves with its URL. */
  async serve(notebook) {
    const child = spawnTracked(process.execPath, [...this.nodeArgs, QUIRE_BIN, 'serve', notebook, '--no-open'], { env: this.env });
    const url = await new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`quire serve printed no URL within 60 s\n${err}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*token\S*)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.stderr.on('data', (d) => (err += d));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`quire serve exited with ${code}\n${err}`));
      });
    });
    child.stderr.pipe(createWriteStream(path.join(this.logDir, `quire-serve-${++this.serves}.log`)));
    return { child, url };
  }

  /** Opens a window on the notebook: host 0 is the first `quire serve`, host 1 a second process. */
  async openWindow(notebook, { host = 0 } = {}) {
    const hosts = this.hosts.get(notebook) ?? [];
    this.hosts.set(notebook, hosts);
    hosts[host] ??= await this.serve(notebook);
    const page = await newWindow(this.browser);
    // --trace-hops: the web preload records the page's marks into this (src-shared/hop-trace.ts).
    if (this.env.QUIRE_HOP_TRACE) await page.addInitScript(() => (window.__quireHopTrace = []));
    const pages = this.pages.get(notebook) ?? [];
    pages.push(page);
    this.pages.set(notebook, pages);
    await page.goto(hosts[host].url);
    await page.locator('section.cell').first().waitFor({ state: 'visible', timeout: 60_000 });
    return page;
  }

  /** Clicks code cell `index`'s Run button inside the page; returns the page's wall-clock time at the click. */
  runCell(page, index) {
    return page.evaluate((i) => {
      const button = document.querySelectorAll('section.cell-code')[i]?.querySelector('button[aria-label="Run cell"]');
      if (!button) throw new Error(`no Run button on code cell ${i}`);
      const t0 = performance.timeOrigin + performance.now();
      button.click();
      return t0;
    }, index);
  }

  /** Waits until no cell is queued or running and the kernel is idle. */
  async waitIdle(page, timeoutMs = 120_000) {
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid=kernel-status]')?.getAttribute('data-status') === 'idle' &&
        !document.querySelector('section.cell[data-run="running"], section.cell[data-run="queued"]'),
      null,
      { timeout: timeoutMs, polling: 50 },
    );
  }

  /** What the page shows of the kernel and the cells' run states (for failure reports). */
  describeState(page) {
    return page.evaluate(() => ({
      kernel: document.querySelector('[data-testid=kernel-status]')?.getAttribute('data-status'),
      cells: [...document.querySelectorAll('section.cell-code')].map((c) => c.getAttribute('data-run')),
    }));
  }

  /** Pids behind a notebook: { daemon, host (its `quire serve` processes), kernel }. */
  processes(notebook) {
    const status = JSON.parse(this.cli(['status', '--json']));
    const room = status.rooms.find((r) => r.path === notebook);
    return {
      daemon: [status.pid],
      host: (this.hosts.get(notebook) ?? []).filter(Boolean).map((h) => h.child.pid),
      kernel: room?.kernel?.pid ? [room.kernel.pid] : [],
    };
  }

  /** Closes the notebook's windows and hosts and shuts its kernel down (through the Node SDK). */
  async closeNotebook(notebook) {
    for (const page of this.pages.get(notebook) ?? []) await closeWindow(page);
    this.pages.delete(notebook);
    for (const h of this.hosts.get(notebook) ?? []) if (h) await stopChild(h.child);
    this.hosts.delete(notebook);
    try {
      const { connect } = await import('../../src-client/sdk/index.ts');
      const client = await connect({ env: this.env, autostart: false, clientName: 'bench' });
      const nb = await client.openNotebook(notebook);
      await nb.shutdownKernel().catch(() => undefined);
      await client.close();
    } catch (e) {
      log(`quire: could not shut the kernel of ${notebook} down: ${e.message}`);
    }
  }

  async stop() {
    for (const nb of [...this.hosts.keys()]) await this.closeNotebook(nb);
    try {
      this.cli(['stop']);
    } catch (e) {
      log(`quire stop: ${e.message}`);
    }
    if (this.daemon) {
      // It exits by itself after `quire stop` (writing its --cpu-prof profile); SIGTERM if not.
      const exited = new Promise((r) => (this.daemon.exitCode !== null ? r() : this.daemon.once('exit', r)));
      if ((await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))])) === 'timeout') await stopChild(this.daemon);
    }
  }
}
