/**
 * One BrowserWindow per notebook window, each registered with the core; the IPC handlers for
 * every contract channel, with the sender checked.
 */
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { Channels, type Channel, type EventName, type Events } from '../../src-shared/ipc/contract';
import type { IpcReply } from '../../src-shared/ipc/websocket-wire';
import type { QuireCore } from '../core/index';
import { isTrustedRendererUrl, windowTitle, type TrustedRenderer } from './policy';

const preload = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererHtml = fileURLToPath(new URL('../renderer/index.html', import.meta.url));

interface NotebookWindow {
  win: BrowserWindow;
  windowId: number;
  path: string;
}

export class NotebookWindows {
  /** By webContents id. */
  private readonly byContents = new Map<number, NotebookWindow>();
  readonly trusted: TrustedRenderer;
  private readonly devUrl: string | null;

  constructor(
    private readonly core: QuireCore,
    options: { devUrl: string | null; onChange: () => void },
  ) {
    this.devUrl = options.devUrl;
    this.trusted = { fileUrl: pathToFileURL(rendererHtml).href, devOrigin: options.devUrl ? new URL(options.devUrl).origin : null };
    this.onChange = options.onChange;
  }

  private readonly onChange: () => void;

  /** Registers `ipcMain.handle` for every channel of the contract. */
  registerIpc(): void {
    for (const channel of Object.keys(Channels) as Channel[]) {
      ipcMain.handle(channel, (event, payload: unknown): Promise<IpcReply> | IpcReply => {
        const entry = this.trustedSender(event);
        if (!entry) return { ok: false, error: `refused ${channel}: the sender is not a Quire window` };
        return this.core.handle(entry.windowId, channel, payload);
      });
    }
  }

  /** The sender must be one of our windows, its main frame, showing our renderer. */
  private trustedSender(event: IpcMainInvokeEvent): NotebookWindow | null {
    const entry = this.byContents.get(event.sender.id);
    if (!entry || entry.win.isDestroyed()) return null;
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return null;
    if (!isTrustedRendererUrl(frame.url, this.trusted)) return null;
    return entry;
  }

  /** A new window on `path` (a second window on an open notebook shares its replica). */
  open(path: string): BrowserWindow {
    const win = new BrowserWindow({
      width: 1100,
      height: 800,
      show: false,
      title: windowTitle(basename(path), false),
      webPreferences: {
        preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        webviewTag: false,
        allowRunningInsecureContent: false,
        // Middle-click on a link would open it in a new Electron window, past setWindowOpenHandler's intent.
        disableBlinkFeatures: 'Auxclick',
        experimentalFeatures: false,
      },
    });
    const contents = win.webContents;
    const contentsId = contents.id;
    const setTitle = (name: string, dirty: boolean) => {
      if (win.isDestroyed()) return;
      win.setTitle(windowTitle(name, dirty));
      win.setDocumentEdited(dirty);
    };
    const windowId = this.core.openWindow(path, {
      send: <E extends EventName>(event: E, payload: Events[E]) => {
        if (contents.isDestroyed()) return;
        contents.send(event, payload);
        if (event === 'notebook:changed') {
          const snapshot = payload as Events['notebook:changed'];
          setTitle(snapshot.title, snapshot.dirty);
        }
      },
    });
    const canonical = this.core.windowPath(windowId) ?? path;
    this.byContents.set(contentsId, { win, windowId, path: canonical });
    if (process.platform === 'darwin') win.setRepresentedFilename(canonical);

    // The page's <title> must not replace the notebook's name.
    win.on('page-title-updated', (event) => event.preventDefault());
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      this.byContents.delete(contentsId);
      this.core.closeWindow(windowId);
      this.onChange();
    });
    this.core.whenOpen(windowId).then(
      (snapshot) => setTitle(snapshot.title, snapshot.dirty),
      (err: Error) => {
        // The renderer shows the error too (its requests fail with it); say it once here.
        if (!win.isDestroyed()) void dialog.showMessageBox(win, { type: 'error', message: `Quire could not open ${basename(path)}`, detail: err.message });
      },
    );

    if (this.devUrl) void win.loadURL(this.devUrl);
    else void win.loadFile(rendererHtml);
    this.onChange();
    return win;
  }

  /** The window showing `path`, if any (Open focuses it instead of opening another). */
  find(path: string): BrowserWindow | null {
    for (const entry of this.byContents.values()) if (entry.path === path && !entry.win.isDestroyed()) return entry.win;
    return null;
  }

  entryOf(win: BrowserWindow | null | undefined): NotebookWindow | null {
    if (!win || win.isDestroyed()) return null;
    return this.byContents.get(win.webContents.id) ?? null;
  }

  get count(): number {
    return this.byContents.size;
  }

  /** Saves the window's notebook; errors are shown, never thrown. */
  async save(win: BrowserWindow): Promise<void> {
    const entry = this.entryOf(win);
    if (!entry) return;
    const reply = await this.core.handle(entry.windowId, 'notebook:save', {});
    if (!reply.ok && !win.isDestroyed()) {
      await dialog.showMessageBox(win, { type: 'error', message: `Could not save ${basename(entry.path)}`, detail: reply.error });
    }
  }
}
