/**
 * The daemon: accepts client connections on the unix socket, routes sync frames and
 * requests to rooms, and owns the kernels through the rooms.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import {
  RequestParams,
  type Broadcast,
  type ErrorCode,
  type Method,
  type RequestResult,
} from '../src-shared/protocol/messages';
import type { QuirePaths } from '../src-shared/runtime-paths';
import { BlobStore } from './blobs/blob-store';
import { loadNotebookFile, NotebookFileError } from './ipynb/notebook-file';
import type { KernelConnection, KernelProvider } from './kernels/provider';
import type { Logger } from './log';
import { Room, RoomError } from './rooms/room';
import { DocSnapshots } from './rooms/doc-snapshots';
import { ClientConnection, type ConnectionHandler } from './transport/connection';
import { fromBase64, toBase64 } from './rooms/widget-buffers';

export const DAEMON_VERSION = '0.1.0';

class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Handlers = {
  [M in Method]: (conn: ClientConnection, params: any, requestId: number) => Promise<RequestResult[M]> | RequestResult[M];
};

export interface DaemonOptions {
  paths: QuirePaths;
  token: string;
  provider: KernelProvider;
  logger: Logger;
  /** Called once the daemon has been asked to stop and has shut its kernels down. */
  onStopped?: () => void;
  /** Autosave a dirty notebook after it has been quiet this long (ms); 0 disables. Default 0. */
  autosaveMs?: number;
  /** How often open notebooks' files are checked for changes by other programs (ms). */
  filePollMs?: number;
}

export class Daemon implements ConnectionHandler {
  private readonly rooms = new Map<string, Room>();
  private readonly connections = new Set<ClientConnection>();
  private readonly blobs: BlobStore;
  private readonly snapshots: DocSnapshots;
  /** Rooms a client left by losing its connection (not by closing the notebook): never compacted. */
  private readonly keepHistory = new Set<string>();
  private server: Server | null = null;
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: DaemonOptions) {
    this.blobs = new BlobStore(options.paths.blobs);
    this.snapshots = new DocSnapshots(options.paths.docs, options.logger);
  }

  async listen(): Promise<void> {
    const server = createServer((socket) => {
      const conn = new ClientConnection(socket, this, {
        token: this.options.token,
        daemonVersion: DAEMON_VERSION,
        logger: this.options.logger,
      });
      this.connections.add(conn);
    });
    this.server = server;
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(this.options.paths.socket, () => resolvePromise());
    });
    try {
      // The daemon runs with umask 077, so the socket is born 0600; chmod is belt and braces.
      await chmod(this.options.paths.socket, 0o600);
    } catch (err) {
      // Still listening, the server would keep a daemon that failed to start alive, lockless.
      server.close();
      throw err;
    }
    this.options.logger.info(`listening on ${this.options.paths.socket} (pid ${process.pid})`);
  }

  // ---- ConnectionHandler ------------------------------------------------------------

  onSync(conn: ClientConnection, roomId: string, message: Uint8Array): void {
    const room = this.rooms.get(roomId);
    if (!room || !room.hasPeer(conn)) {
      conn.fail({ code: 'unknown-room', message: `sync for room ${roomId}, which this connection has not opened` });
      return;
    }
    try {
      room.receiveSync(conn, message);
    } catch (err) {
      conn.fail({ code: 'bad-sync', message: `room ${roomId}: sync message rejected: ${(err as Error).message}` });
    }
  }

  onRequest(conn: ClientConnection, id: number, method: string, params: unknown): void {
    void this.handleRequest(conn, id, method, params);
  }

  onClose(conn: ClientConnection): void {
    this.connections.delete(conn);
    for (const room of this.rooms.values()) {
      if (room.removePeer(conn)) {
        // This client may come back with its replica and merge it in (adopt): keep the history.
        this.keepHistory.add(room.id);
        this.maybeDropRoom(room);
      }
    }
  }

  private async handleRequest(conn: ClientConnection, id: number, method: string, params: unknown): Promise<void> {
    if (!Object.hasOwn(RequestParams, method)) {
      conn.sendResponse({ id, ok: false, error: { code: 'unknown-method', message: `unknown request method "${method}"` } });
      return;
    }
    const m = method as Method;
    const parsed = RequestParams[m].safeParse(params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      conn.sendResponse({
        id,
        ok: false,
        error: { code: 'bad-request', message: `${method}: ${issue?.path.join('.') || 'params'}: ${issue?.message}` },
      });
      return;
    }
    // A stop shuts every kernel down: a kernel started now would outlive it.
    if (this.stopping && m !== 'status' && m !== 'stop') {
      conn.sendResponse({ id, ok: false, error: { code: 'daemon-stopping', message: `${method}: the Quire daemon is stopping` } });
      return;
    }
    try {
      const result = await (this.handlers[m] as (c: ClientConnection, p: unknown, r: number) => unknown)(conn, parsed.data, id);
      conn.sendResponse({ id, ok: true, result });
    } catch (err) {
      const code: ErrorCode =
        err instanceof RequestError || err instanceof RoomError
          ? (err.code as ErrorCode)
          : err instanceof NotebookFileError
            ? err.code
            : 'internal';
      if (code === 'internal') this.options.logger.error(`${method} failed: ${(err as Error).stack ?? String(err)}`);
      conn.sendResponse({ id, ok: false, error: { code, message: (err as Error).message } });
    }
  }

  private room(conn: ClientConnection, roomId: string): Room {
    const room = this.rooms.get(roomId);
    if (!room || !room.hasPeer(conn)) throw new RequestError('unknown-room', `room ${roomId} is not open on this connection; call open first`);
    return room;
  }

  private readonly handlers: Handlers = {
    open: async (conn, params: { path: string; create?: boolean; drivesWidgets?: boolean }) => {
      const path = canonicalPath(params.path);
      const roomId = roomIdOf(path);
      let room = this.rooms.get(roomId);
      let exists = existsSync(path);
      let survivor: KernelConnection | null = null;
      if (!room) {
        if (!exists && params.create === false) throw new RequestError('not-found', `${path} does not exist`);
        // A kernel of this notebook that outlived a daemon crash (kernels/kernel-registry.ts).
        survivor = (await this.options.provider.claimSurvivor?.(roomId)) ?? null;
        const restored = this.snapshots.restore(roomId, path, { liveKernel: survivor !== null });
        const loaded = restored ? { doc: restored, exists } : await loadNotebookFile(path, this.blobs);
        exists = loaded.exists;
        if (this.stopping) {
          // The stop began while this open waited: it has already shut the other kernels down.
          await survivor?.shutdown().catch(() => {});
          throw new RequestError('daemon-stopping', `open: the Quire daemon is stopping`);
        }
        if (restored) this.options.logger.info(`room ${roomId}: restored ${path} from its recovery snapshot`);
        else this.snapshots.setSource(roomId, path);
        // Another open may have raced us while the file loaded.
        room = this.rooms.get(roomId);
        if (!room) {
          room = new Room(roomId, path, loaded.doc, {
            provider: this.options.provider,
            blobs: this.blobs,
            logger: this.options.logger,
            broadcast: (r, event) => this.broadcast(r, event),
            onDocChanged: (r) => this.snapshots.schedule(r.id, () => r.doc),
            onSaved: (r) => {
              this.snapshots.setSource(r.id, r.path);
              this.snapshots.flush(r.id, r.doc);
            },
            onKernelStartEnded: (r) => this.maybeDropRoom(r),
            autosaveMs: this.options.autosaveMs ?? 0,
            ...(this.options.filePollMs ? { filePollMs: this.options.filePollMs } : {}),
          });
          this.rooms.set(roomId, room);
          this.options.logger.info(`room ${roomId} opened for ${path}`);
        }
      }
      // Another open may have created the room (and started a kernel) while we claimed this one.
      if (survivor && !room.attachKernel(survivor)) {
        this.options.logger.warn(`room ${roomId} already has a kernel; shutting down the re-adopted one`);
        // Not awaited: the room must not change (be dropped, or a stop begin) between this check and addPeer.
        void survivor.shutdown().catch(() => {});
      }
      room.addPeer(conn, { drivesWidgets: params.drivesWidgets === true });
      return { roomId, path, exists, widgetDriver: room.isWidgetDriver(conn) };
    },
    close: async (conn, params: { roomId: string; shutdownKernelIfUnused?: boolean }) => {
      const room = this.room(conn, params.roomId);
      room.removePeer(conn);
      if (params.shutdownKernelIfUnused && room.clientCount === 0) await room.shutdownKernel();
      this.maybeDropRoom(room);
      return { closed: true };
    },
    heads: (conn, params: { roomId: string; contains?: string[] }) => {
      const room = this.room(conn, params.roomId);
      return { heads: room.heads(), contains: params.contains ? room.hasHeads(params.contains) : true };
    },
    execute: (conn, params: { roomId: string; code?: string; cellId?: string; allowStdin?: boolean }, requestId) => {
      const room = this.room(conn, params.roomId);
      return room.execute(
        params.cellId !== undefined ? { cellId: params.cellId } : { code: params.code ?? '' },
        { conn, requestId },
        { allowStdin: params.allowStdin === true },
      );
    },
    inputReply: async (conn, params: { roomId: string; value: string }) => ({
      sent: await this.room(conn, params.roomId).inputReply(conn, params.value),
    }),
    interrupt: async (conn, params: { roomId: string }) => ({ interrupted: await this.room(conn, params.roomId).interrupt() }),
    restart: async (conn, params: { roomId: string }) => ({ restarted: await this.room(conn, params.roomId).restart() }),
    shutdownKernel: async (conn, params: { roomId: string }) => ({
      shutdown: await this.room(conn, params.roomId).shutdownKernel(),
    }),
    drivesWidgets: (conn, params: { roomId: string; drives: boolean }) => {
      const room = this.room(conn, params.roomId);
      room.setDriverCandidate(conn, params.drives);
      return { driver: room.isWidgetDriver(conn) };
    },
    setKernel: (conn, params: { roomId: string; name: string }) => this.room(conn, params.roomId).setKernel(params.name),
    save: (conn, params: { roomId: string; path?: string; overwrite?: boolean }) =>
      this.room(conn, params.roomId).save({
        ...(params.path ? { path: canonicalPath(params.path) } : {}),
        ...(params.overwrite ? { overwrite: true } : {}),
      }),
    reload: (conn, params: { roomId: string }) => this.room(conn, params.roomId).reload(),
    resolveRecovery: (conn, params: { roomId: string; keep: boolean }) => this.room(conn, params.roomId).resolveRecovery(params.keep),
    sendCustom: (conn, params: { roomId: string; commId: string; content: Record<string, unknown>; buffers?: string[] }) => {
      const room = this.room(conn, params.roomId);
      const sent = room.sendCustom(params.commId, params.content, (params.buffers ?? []).map(fromBase64));
      if (!sent) throw new RequestError('not-found', `comm ${params.commId} is not a live comm of this notebook's kernel`);
      return { sent };
    },
    getBlob: (_conn, params: { hash: string }) => {
      const bytes = this.blobs.get(params.hash);
      if (!bytes) throw new RequestError('not-found', `no blob ${params.hash}`);
      return { base64: toBase64(bytes) };
    },
    putBlob: (_conn, params: { base64: string }) => ({ hash: this.blobs.put(fromBase64(params.base64)) }),
    kernelspecs: async () => ({
      specs: (await this.options.provider.listSpecs()).map((s) => ({
        name: s.name,
        displayName: s.display_name,
        language: s.language,
        resourceDir: s.resourceDir,
      })),
    }),
    status: () => ({
      pid: process.pid,
      socket: this.options.paths.socket,
      home: this.options.paths.home,
      version: DAEMON_VERSION,
      uptimeMs: Date.now() - this.startedAt,
      rooms: [...this.rooms.values()].map((r) => ({
        roomId: r.id,
        path: r.path,
        clients: r.clientCount,
        kernel: r.hasKernel ? r.kernelSummary() : null,
      })),
    }),
    stop: () => {
      setImmediate(() => void this.stop());
      return { stopping: true };
    },
  };

  private broadcast(room: Room, event: Broadcast): void {
    for (const conn of this.connections) if (room.hasPeer(conn)) conn.sendBroadcast(event);
  }

  /** Rooms with no peers and no kernel hold nothing worth keeping in memory. */
  private maybeDropRoom(room: Room): void {
    // A room already dropped is not written twice. (During a stop this still runs as the clients'
    // connections close, after the kernel shutdown: the snapshot then matches what they last saw.)
    if (this.rooms.get(room.id) !== room || room.clientCount > 0 || room.hasKernel) return;
    room.flush();
    room.dispose();
    this.writeLastSnapshot(room);
    this.rooms.delete(room.id);
    this.options.logger.info(`room ${room.id} closed (${room.path})`);
  }

  /**
   * A room's last snapshot. Compacted only when no replica can come back to merge into its
   * history: no client attached, and none left by losing its connection.
   */
  private writeLastSnapshot(room: Room): void {
    const replicaMayReturn = this.keepHistory.delete(room.id) || room.clientCount > 0;
    this.snapshots.close(room.id, room.doc, { compact: !replicaMayReturn });
  }

  /** Shuts kernels down, persists docs, closes connections. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.options.logger.info('stopping');
        this.server?.close();
        await Promise.allSettled(
          [...this.rooms.values()].map(async (room) => {
            room.flush();
            room.dispose();
            this.writeLastSnapshot(room); // with the live widgets, restored as saved ones
            await room.shutdownKernel();
          }),
        );
        // Re-adopted kernels whose notebook was never reopened go too: a clean stop leaves no kernel behind.
        await this.options.provider.shutdownUnclaimed?.().catch((err: Error) =>
          this.options.logger.error(`shutting down re-adopted kernels failed: ${err.message}`),
        );
        for (const conn of this.connections) conn.close();
        this.options.logger.info('stopped');
        this.options.onStopped?.();
      })();
    }
    return this.stopping;
  }
}

export function canonicalPath(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    // A notebook that does not exist yet: canonicalise its folder instead.
    try {
      return resolve(realpathSync(dirname(abs)), abs.slice(dirname(abs).length + 1));
    } catch {
      return abs;
    }
  }
}

export function roomIdOf(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 24);
}
