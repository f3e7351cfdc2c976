/**
 * One client stream to the daemon: handshake, correlated requests, sync frames per
 * room, and broadcasts. Everything received is validated against the shared contract.
 */
import type { Socket } from 'node:net';
import {
  decodeJsonPayload,
  decodeSyncPayload,
  encodeJsonFrame,
  encodeSyncFrame,
  FrameDecoder,
  FrameKind,
  type Frame,
} from '../../src-shared/protocol/frames';
import {
  BroadcastSchema,
  PROTOCOL_MAGIC,
  PROTOCOL_VERSION,
  ProtocolErrorSchema,
  ResponseSchema,
  WelcomeSchema,
  type Broadcast,
  type Method,
  type ParamsOf,
  type RequestResult,
  type Welcome,
} from '../../src-shared/protocol/messages';

export class DaemonError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class DaemonConnection {
  private readonly decoder = new FrameDecoder();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly syncListeners = new Map<string, (message: Uint8Array) => void>();
  private readonly broadcastListeners = new Set<(event: Broadcast) => void>();
  private readonly closeListeners = new Set<(reason: Error) => void>();
  private welcomeWaiter: Pending | null = null;
  private closedReason: Error | null = null;
  welcome: Welcome | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(new DaemonError('socket', `daemon connection error: ${err.message}`)));
    socket.on('close', () => this.shutdown(new DaemonError('closed', 'the daemon connection closed')));
  }

  static async handshake(socket: Socket, token: string, clientName: string): Promise<DaemonConnection> {
    const conn = new DaemonConnection(socket);
    const welcome = new Promise<unknown>((resolve, reject) => (conn.welcomeWaiter = { resolve, reject }));
    socket.write(
      encodeJsonFrame(FrameKind.Hello, {
        magic: PROTOCOL_MAGIC,
        protocol: PROTOCOL_VERSION,
        token,
        client: { name: clientName, pid: process.pid },
      }),
    );
    conn.welcome = (await welcome) as Welcome;
    return conn;
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  request<M extends Method>(method: M, params: ParamsOf<M>): Promise<RequestResult[M]> {
    if (this.closedReason) return Promise.reject(this.closedReason);
    const id = this.nextId++;
    return new Promise<RequestResult[M]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(encodeJsonFrame(FrameKind.Request, { id, method, params }));
    });
  }

  /** The id the next request will get (so callers can match `execute-output` broadcasts). */
  peekNextRequestId(): number {
    return this.nextId;
  }

  sendSync(roomId: string, message: Uint8Array): void {
    if (!this.closedReason) this.socket.write(encodeSyncFrame(roomId, message));
  }

  onSync(roomId: string, listener: (message: Uint8Array) => void): () => void {
    this.syncListeners.set(roomId, listener);
    return () => this.syncListeners.delete(roomId);
  }

  onBroadcast(listener: (event: Broadcast) => void): () => void {
    this.broadcastListeners.add(listener);
    return () => this.broadcastListeners.delete(listener);
  }

  onClose(listener: (reason: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.socket.end();
    this.shutdown(new DaemonError('closed', 'connection closed by the client'));
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (err) {
      this.socket.destroy();
      this.shutdown(new DaemonError('protocol', `bad frame from the daemon: ${(err as Error).message}`));
      return;
    }
    for (const frame of frames) {
      try {
        this.onFrame(frame);
      } catch (err) {
        this.socket.destroy();
        this.shutdown(new DaemonError('protocol', `bad frame from the daemon: ${(err as Error).message}`));
        return;
      }
    }
  }

  private onFrame(frame: Frame): void {
    switch (frame.kind) {
      case FrameKind.Welcome: {
        const welcome = WelcomeSchema.parse(decodeJsonPayload(frame));
        this.welcomeWaiter?.resolve(welcome);
        this.welcomeWaiter = null;
        return;
      }
      case FrameKind.Error: {
        const parsed = ProtocolErrorSchema.safeParse(decodeJsonPayload(frame));
        const err = parsed.success
          ? new DaemonError(parsed.data.code, `daemon refused the connection: ${parsed.data.message}`)
          : new DaemonError('protocol', 'daemon sent a malformed error frame');
        this.shutdown(err);
        return;
      }
      case FrameKind.Response: {
        const response = ResponseSchema.parse(decodeJsonPayload(frame));
        const waiter = this.pending.get(response.id);
        if (!waiter) return;
        this.pending.delete(response.id);
        if (response.ok) waiter.resolve(response.result);
        else waiter.reject(new DaemonError(response.error.code, response.error.message));
        return;
      }
      case FrameKind.Sync: {
        const { roomId, message } = decodeSyncPayload(frame.payload);
        this.syncListeners.get(roomId)?.(message);
        return;
      }
      case FrameKind.Broadcast: {
        const parsed = BroadcastSchema.safeParse(decodeJsonPayload(frame));
        if (!parsed.success) return; // an event this client does not know; newer daemon
        for (const l of this.broadcastListeners) l(parsed.data);
        return;
      }
      default:
        throw new Error(`unexpected frame kind ${frame.kind}`);
    }
  }

  private shutdown(reason: Error): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.welcomeWaiter?.reject(reason);
    this.welcomeWaiter = null;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    for (const l of this.closeListeners) l(reason);
    this.socket.destroy();
  }
}
