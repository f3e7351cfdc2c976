/**
 * `quire serve <notebook> [--port N] [--no-open]`: the browser host (dispatched by bin/quire.mjs).
 *
 * stdout gets exactly one line, the URL (`http://127.0.0.1:PORT/?token=…`); everything else goes
 * to stderr. Runs until Ctrl-C (SIGINT) or SIGTERM.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QuireCore } from '../core/index';
import { appModeAvailability, openChromiumApp, type AppWindow } from './open-browser';
import { startBrowserHost, type BrowserHost } from './server';
import { traceHopsToFileFromEnv } from '../../src-shared/node/hop-trace-file';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIR = join(REPO_ROOT, 'out', 'renderer');
export const WEB_PRELOAD = join(REPO_ROOT, 'out', 'preload', 'web.js');

const USAGE = `usage: quire serve <notebook> [--port N] [--no-open]

Serves the notebook to a browser on 127.0.0.1 and prints its URL (with a secret token) as the
only line on stdout. Each page opened on the URL is one window on the notebook.

  --port N     listen on port N (default: a free port)
  --no-open    only print the URL (default: open it in Chromium's app mode when there is a
               display and a Chromium, else print it)`;

const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : s + '\n');

/** What the build must have produced; null when everything is there. */
export function missingBuild(): string | null {
  for (const file of [join(RENDERER_DIR, 'index.html'), WEB_PRELOAD]) {
    if (!existsSync(file)) return `the renderer build is missing (${file}); run \`npm run build\` first`;
  }
  return null;
}

export interface Serving {
  url: string;
  path: string;
  host: BrowserHost;
  stop(): Promise<void>;
}

/** Starts the core and the browser host on one notebook; the notebook is open before this resolves. */
export async function serve(options: { notebook: string; port?: number; log?: (m: string) => void }): Promise<Serving> {
  const log = options.log ?? ((m: string) => err(`quire serve: ${m}`));
  const missing = missingBuild();
  if (missing) throw new Error(missing);
  const core = new QuireCore({ connect: { clientName: 'quire-browser-host' }, log });
  try {
    await core.start();
  } catch (e) {
    throw new Error(`cannot reach or start the Quire daemon: ${(e as Error).message}`);
  }
  const notebook = resolve(options.notebook);
  let release: () => void;
  try {
    release = await core.retain(notebook);
  } catch (e) {
    await core.close();
    throw e;
  }
  let host: BrowserHost;
  try {
    host = await startBrowserHost({
      core,
      notebook,
      port: options.port ?? 0,
      rendererDir: RENDERER_DIR,
      webPreload: WEB_PRELOAD,
      log,
    });
  } catch (e) {
    release();
    await core.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${options.port} is in use; pick another with --port, or leave it out for a free one`);
    if (code === 'EACCES') throw new Error(`not allowed to listen on port ${options.port}; pick one above 1024`);
    throw e;
  }
  let stopped = false;
  return {
    url: host.url,
    path: notebook,
    host,
    async stop() {
      if (stopped) return;
      stopped = true;
      await host.close();
      release();
      await core.close();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string', short: 'p' },
        'no-open': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    err(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    err(USAGE);
    return 2;
  }
  let port = 0;
  if (parsed.values.port !== undefined) {
    port = Number(parsed.values.port);
    if (!/^\d+$/.test(parsed.values.port) || port < 0 || port > 65535) {
      err(`quire serve: --port must be a number from 0 to 65535, not "${parsed.values.port}"`);
      return 2;
    }
  }

  traceHopsToFileFromEnv('host');

  let serving: Serving;
  try {
    serving = await serve({ notebook: parsed.positionals[0]!, port });
  } catch (e) {
    err(`quire serve: ${(e as Error).message}`);
    return 1;
  }
  process.stdout.write(serving.url + '\n');
  err(`quire serve: serving ${serving.path} on 127.0.0.1 port ${serving.host.port}; each page opened on the URL above is one window on it. Ctrl-C stops.`);

  let app: AppWindow | null = null;
  if (!parsed.values['no-open']) {
    const { chromium, reason } = appModeAvailability();
    if (chromium) {
      app = openChromiumApp(chromium, serving.url);
      err(`quire serve: opened it in Chromium's app mode (${chromium}).`);
    } else {
      err(`quire serve: not opening a window: ${reason}; open the URL above in a browser.`);
    }
  }

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  err('quire serve: stopping');
  app?.close();
  await serving.stop();
  return 0;
}
