/**
 * The Quire Node SDK. `connect()` finds (or starts) the user's daemon;
 * `openNotebook(path)` joins a notebook's room with a replica of its doc.
 *
 *   const client = await connect();
 *   const nb = await client.openNotebook('demo.ipynb');
 *   await nb.execute('import ipywidgets as w; s = w.IntSlider(); display(s)');
 *   await nb.confirmSync();
 *   console.log(nb.getWidgets());
 */
import type { QuirePaths } from '../../src-shared/runtime-paths';
import type { RequestResult } from '../../src-shared/protocol/messages';
import { DaemonConnection } from './daemon-connection';
import { defaultPaths, ensureDaemonSocket, readToken } from './daemon-launcher';
import { NotebookSession } from './notebook-session';

export { DaemonError } from './daemon-connection';
export {
  NotebookSession,
  type CustomMessage,
  type ExecuteOptions,
  type InputRequest,
  type NewCellInput,
} from './notebook-session';
export type {
  CommRecord,
  CellView,
  CellType,
  FileView,
  KernelView,
  LastRun,
  RecoveryView,
} from '../../src-shared/schema/notebook-doc';

export interface ConnectOptions {
  /** Environment used to locate the daemon (QUIRE_HOME, XDG_*). Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Start a daemon when none answers (default true). */
  autostart?: boolean;
  /** Command that starts a daemon (default: this checkout's `bin/quire.mjs daemon`). */
  daemonCommand?: string[];
  /** Shown in the daemon's log. */
  clientName?: string;
}

export class QuireClient {
  private readonly sessions = new Set<NotebookSession>();

  constructor(
    readonly connection: DaemonConnection,
    readonly paths: QuirePaths,
  ) {}

  /**
   * Joins a notebook's room. `drivesWidgets`: this client shows widgets in windows and can run
   * front-end-driven ones (Play); the daemon picks one such client per notebook to do it.
   */
  async openNotebook(path: string, options: { create?: boolean; drivesWidgets?: boolean } = {}): Promise<NotebookSession> {
    // The session listens only once it exists. A change of role broadcast just after the reply
    // can be read in the same chunk as it, before this continuation runs: it is newer than the
    // reply (the daemon broadcasts the role this open gave before it replies), so it wins.
    const driverNews = new Map<string, boolean>();
    const off = this.connection.onBroadcast((e) => {
      if (e.event === 'widget-driver') driverNews.set(e.roomId, e.driver);
    });
    let opened: RequestResult['open'];
    try {
      opened = await this.connection.request('open', { path, ...options });
    } finally {
      off();
    }
    const { roomId, path: canonical, widgetDriver } = opened;
    const session = new NotebookSession(this.connection, roomId, canonical, driverNews.get(roomId) ?? widgetDriver);
    session.start();
    await session.confirmSync();
    this.sessions.add(session);
    return session;
  }

  status(): Promise<RequestResult['status']> {
    return this.connection.request('status', {});
  }

  kernelspecs(): Promise<RequestResult['kernelspecs']> {
    return this.connection.request('kernelspecs', {});
  }

  /** Asks the daemon to shut its kernels down, persist docs and exit. */
  stopDaemon(): Promise<RequestResult['stop']> {
    return this.connection.request('stop', {});
  }

  onDisconnect(listener: (reason: Error) => void): () => void {
    return this.connection.onClose(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.sessions].map((s) => s.close()));
    this.connection.close();
  }
}

export async function connect(options: ConnectOptions = {}): Promise<QuireClient> {
  const env = options.env ?? process.env;
  const paths = defaultPaths(env);
  const socket = await ensureDaemonSocket({
    paths,
    autostart: options.autostart ?? true,
    env,
    ...(options.daemonCommand ? { daemonCommand: options.daemonCommand } : {}),
  });
  let token: string;
  try {
    token = readToken(paths);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const connection = await DaemonConnection.handshake(socket, token, options.clientName ?? 'node-sdk');
  return new QuireClient(connection, paths);
}
