/**
 * The Electron adapter over the core (src-main/core): windows, menus, dialogs and lockdown.
 *
 *   electron out/main/index.js [notebook.ipynb …]   (no path: resources/demo.ipynb)
 *
 * Windows: contextIsolation, sandbox, no nodeIntegration, webSecurity, a strict CSP; window.open
 * denied (http(s) links go to the system browser), navigation prevented, permissions denied.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, Menu, net, protocol, session, shell, type MenuItemConstructorOptions, type OpenDialogOptions } from 'electron';
import { LABEXTENSION_SCHEME } from '../../src-shared/ipc/renderer-csp';
import { canonicalNotebookPath, QuireCore } from '../core/index';
import { NotebookWindows } from './notebook-windows';
import { APP_NAME, daemonLaunch, isExternalWebUrl, notebookArgs, parseRecent, pushRecent, RENDERER_CSP } from './policy';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_NOTEBOOK = join(REPO_ROOT, 'resources', 'demo.ipynb');
const QUIRE_BIN = join(REPO_ROOT, 'bin', 'quire.mjs');
const devUrl = !app.isPackaged && process.env['ELECTRON_RENDERER_URL'] ? process.env['ELECTRON_RENDERER_URL'] : null;

app.setName(APP_NAME);
app.enableSandbox();
// Widget libraries' files (quire-ext://app/labextensions/…): a standard, secure scheme so
// relative URLs (webpack's lazy chunks) resolve against it like against http.
protocol.registerSchemesAsPrivileged([{ scheme: LABEXTENSION_SCHEME, privileges: { standard: true, secure: true } }]);

const launch = daemonLaunch(QUIRE_BIN, process.env, process.execPath);
const core = new QuireCore({
  connect: { clientName: 'quire-electron', daemonCommand: launch.command, env: launch.env },
  labextensionBaseUrl: `${LABEXTENSION_SCHEME}://app/`,
  log: (m) => console.error(`quire: ${m}`),
});
const windows = new NotebookWindows(core, { devUrl, onChange: () => buildMenu() });

// ---- recent notebooks ------------------------------------------------------------------------

const recentFile = () => join(app.getPath('userData'), 'recent-notebooks.json');
let recent: string[] = [];

function loadRecent(): void {
  try {
    recent = parseRecent(readFileSync(recentFile(), 'utf8'));
  } catch {
    recent = [];
  }
}

function setRecent(list: string[]): void {
  recent = list;
  try {
    mkdirSync(dirname(recentFile()), { recursive: true });
    writeFileSync(recentFile(), JSON.stringify(recent, null, 2), { mode: 0o600 });
  } catch (err) {
    console.error(`quire: cannot save the recent list: ${(err as Error).message}`);
  }
  buildMenu();
}

// ---- opening -----------------------------------------------------------------------------

/** Focuses the notebook's window, or opens one. */
function openNotebook(path: string): void {
  const canonical = canonicalNotebookPath(path);
  const existing = windows.find(canonical);
  if (existing) {
    if (existing.isMinimized()) existing.restore();
    existing.focus();
  } else {
    windows.open(canonical);
  }
  app.addRecentDocument(canonical);
  setRecent(pushRecent(recent, canonical));
}

async function showOpenDialog(): Promise<void> {
  const parent = BrowserWindow.getFocusedWindow();
  const options: OpenDialogOptions = {
    title: 'Open Notebook',
    properties: ['openFile', 'multiSelections'],
    filters: [{ name: 'Jupyter notebooks', extensions: ['ipynb'] }],
  };
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  if (!result.canceled) for (const p of result.filePaths) openNotebook(p);
}

// ---- menu ----------------------------------------------------------------------------------

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  const focused = () => BrowserWindow.getFocusedWindow();
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? [
        ...recent.map((p) => ({
          label: basename(p),
          sublabel: p,
          toolTip: p,
          enabled: existsSync(p),
          click: () => openNotebook(p),
        })),
        { type: 'separator' as const },
        { label: 'Clear Recently Opened', click: () => {
          app.clearRecentDocuments();
          setRecent([]);
        } },
      ]
    : [{ label: 'No Recent Notebooks', enabled: false }];
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => void showOpenDialog() },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        {
          label: 'Save',
          accelerator: 'CmdOrCtrl+S',
          enabled: windows.count > 0,
          click: () => {
            const win = focused();
            if (win) void windows.save(win);
          },
        },
        { type: 'separator' },
        {
          id: 'new-window',
          label: 'New Window',
          accelerator: 'CmdOrCtrl+Shift+N',
          enabled: windows.count > 0,
          click: () => {
            // Focus can be elsewhere (or nowhere, under test): fall back to any notebook window.
            const entry = windows.entryOf(focused() ?? BrowserWindow.getAllWindows()[0]);
            if (entry) windows.open(entry.path);
          },
        },
        { label: 'Close Window', accelerator: 'CmdOrCtrl+W', role: 'close' },
        ...(isMac ? [] : [{ type: 'separator' as const }, { role: 'quit' as const }]),
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

// ---- lockdown ----------------------------------------------------------------------------

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // Navigation is never followed, and never handed to the system browser either: content
  // (a meta refresh in kernel HTML) could trigger it without a click. Links open externally
  // only through setWindowOpenHandler (target=_blank clicks).
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // index.html carries the same policy as a meta tag (file:// responses have no headers). The dev
  // server's pages need its inline HMR preamble, so it is left to the meta tag there.
  if (!devUrl) {
    ses.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } });
    });
  }
  // Read-only: only static/ files of widget libraries the core offered a window
  // (src-main/core/labextensions.ts refuses anything else, `..` included).
  ses.protocol.handle(LABEXTENSION_SCHEME, (request) => {
    let file: string | null = null;
    try {
      const url = new URL(request.url);
      if (url.host === 'app' && request.method === 'GET') file = core.extensionFiles.resolve(decodeURIComponent(url.pathname));
    } catch {
      file = null;
    }
    if (!file) return new Response('Not found', { status: 404 });
    return net.fetch(pathToFileURL(file).href);
  });
}

// ---- lifecycle -----------------------------------------------------------------------------

const pendingOpenFiles: string[] = [];
app.on('open-file', (event, path) => {
  event.preventDefault();
  if (app.isReady()) openNotebook(path);
  else pendingOpenFiles.push(path);
});

void app.whenReady().then(() => {
  lockDownSession();
  loadRecent();
  windows.registerIpc();
  buildMenu();
  const paths = [...notebookArgs(process.argv, app.isPackaged, process.cwd()), ...pendingOpenFiles];
  for (const p of paths.length ? paths : [DEMO_NOTEBOOK]) openNotebook(p);
  core.start().catch((err: Error) => {
    dialog.showErrorBox(
      'Quire could not start',
      `Quire could not reach or start its daemon:\n\n${err.message}\n\nTry \`npx quire daemon\` in a terminal to see why.`,
    );
    app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openNotebook(DEMO_NOTEBOOK);
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Close the replicas before exiting (the daemon and its kernels keep running).
let coreClosed = false;
app.on('will-quit', (event) => {
  if (coreClosed) return;
  event.preventDefault();
  void core.close().finally(() => {
    coreClosed = true;
    app.quit();
  });
});
